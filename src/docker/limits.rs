//! Parsing of the resource limits written in the config (`memory_limit`, `cpu_limit`).

/// Docker refuses memory limits below 6 MiB.
pub const MIN_MEMORY: i64 = 6 * 1024 * 1024;

/// Parse a Docker-style size ("512m", "1g", "1.5GB", "268435456") into bytes (binary units).
pub fn parse_memory(text: &str) -> Result<i64, String> {
    let t = text.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size"))?;
    let unit = unit.trim();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b').filter(|u| !u.is_empty()))
        .unwrap_or(unit);
    let factor: f64 = match unit {
        "" | "b" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024.0f64.powi(4),
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit (use b, k, m, g or t)"
            ))
        }
    };
    let bytes = value * factor;
    if !bytes.is_finite() || bytes > i64::MAX as f64 {
        return Err(format!("`{text}` is too large"));
    }
    let bytes = bytes as i64;
    if bytes < MIN_MEMORY {
        return Err(format!("`{text}` is below Docker's minimum of 6m"));
    }
    Ok(bytes)
}

/// Parse a CPU count ("1.0", "0.5") into Docker's NanoCPUs.
pub fn parse_cpus(text: &str) -> Result<i64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of CPUs"))?;
    if !(value.is_finite() && value > 0.0 && value <= 1024.0) {
        return Err(format!("`{text}` must be more than 0 and at most 1024"));
    }
    let nanos = (value * 1e9).round() as i64;
    if nanos < 10_000_000 {
        return Err(format!("`{text}` is below Docker's minimum of 0.01 CPUs"));
    }
    Ok(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory("512m").unwrap(), 512 * 1024 * 1024);
        assert_eq!(parse_memory("1G").unwrap(), 1 << 30);
        assert_eq!(parse_memory("1.5gb").unwrap(), 3 << 29);
        assert_eq!(parse_memory("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_memory("268435456").unwrap(), 268_435_456);
        assert!(parse_memory("1k").unwrap_err().contains("minimum"));
        assert!(parse_memory("12q").unwrap_err().contains("unit"));
        assert!(parse_memory("lots").is_err());
    }

    #[test]
    fn cpus() {
        assert_eq!(parse_cpus("1.0").unwrap(), 1_000_000_000);
        assert_eq!(parse_cpus(" 0.5 ").unwrap(), 500_000_000);
        assert!(parse_cpus("0").is_err());
        assert!(parse_cpus("-1").is_err());
        assert!(parse_cpus("many").is_err());
    }
}
