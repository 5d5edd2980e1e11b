"""FastMCP's proxy in front of one upstream, served over Streamable HTTP at /mcp.

Usage: python fastmcp_proxy.py PORT --url URL
       python fastmcp_proxy.py PORT -- COMMAND [ARGS...]
"""
import sys

from fastmcp.server import create_proxy


def main() -> None:
    port = int(sys.argv[1])
    if sys.argv[2] == "--url":
        target = sys.argv[3]
    elif sys.argv[2] == "--":
        target = {"mcpServers": {"fx": {"command": sys.argv[3], "args": sys.argv[4:]}}}
    else:
        sys.exit("usage: fastmcp_proxy.py PORT (--url URL | -- COMMAND [ARGS...])")
    proxy = create_proxy(target, name="fastmcp-proxy")
    proxy.run(transport="http", host="127.0.0.1", port=port, path="/mcp", show_banner=False, log_level="warning")


if __name__ == "__main__":
    main()
