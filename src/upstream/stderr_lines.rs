//! Reads a child's stderr as lines for its log: bounded memory per line, never stops at
//! invalid UTF-8 (the pipe keeps being drained, so the child never blocks on a full pipe).

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// Longest stderr line kept (bytes); the rest of a longer line is discarded.
pub const MAX_STDERR_LINE: usize = 64 * 1024;

fn emit(line: &[u8], cut: bool, on_line: &mut impl FnMut(&str, bool)) {
    let text = String::from_utf8_lossy(line);
    on_line(text.strip_suffix('\r').unwrap_or(&text), cut);
}

/// Call `on_line(text, cut)` for every line of `reader` until EOF or a read error; `cut` is
/// true when `text` is only the first [`MAX_STDERR_LINE`] bytes of the line.
pub async fn for_each_line(reader: impl AsyncRead + Unpin, mut on_line: impl FnMut(&str, bool)) {
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    let mut cut = false;
    while let Ok(buf) = reader.fill_buf().await {
        if buf.is_empty() {
            if !line.is_empty() || cut {
                emit(&line, cut, &mut on_line);
            }
            break;
        }
        let newline = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..newline.unwrap_or(buf.len())];
        let room = MAX_STDERR_LINE - line.len();
        if chunk.len() > room {
            cut = true;
        }
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = newline.map_or(buf.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_some() {
            emit(&line, cut, &mut on_line);
            line.clear();
            cut = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn long_lines_are_cut_and_bad_utf8_does_not_stop_reading() {
        let mut input = b"first\r\n".to_vec();
        input.extend(vec![b'x'; 3 * MAX_STDERR_LINE]);
        input.extend(b"\nbad \xff byte\nlast without newline");
        let mut lines = Vec::new();
        for_each_line(&input[..], |l, cut| {
            lines.push(if cut {
                format!("{l}<cut>")
            } else {
                l.to_string()
            })
        })
        .await;
        assert_eq!(
            lines.len(),
            4,
            "{:?}",
            lines.iter().map(|l| l.len()).collect::<Vec<_>>()
        );
        assert_eq!(lines[0], "first");
        assert!(lines[1] == format!("{}<cut>", "x".repeat(MAX_STDERR_LINE)));
        assert_eq!(lines[2], "bad \u{fffd} byte");
        assert_eq!(lines[3], "last without newline");
    }
}
