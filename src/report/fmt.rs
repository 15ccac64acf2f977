//! Deterministic text for numbers: the same bits always give the same
//! characters, and the text parses back to the same bits.

/// Shortest decimal that round-trips to `x`; plain notation for ordinary
/// magnitudes, scientific outside `[1e-5, 1e16)` so huge and tiny values
/// stay short. `NaN`, `inf` and `-inf` for non-finite values.
pub fn num(x: f64) -> String {
    if x == 0.0 {
        // Also -0.0: a loss of "-0" would only confuse.
        "0".into()
    } else if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else if (1e-5..1e16).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// An optional count as a CSV cell: empty when undefined.
pub fn opt(x: Option<u32>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

/// An optional number as a CSV cell: empty when undefined.
pub fn opt_num(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

/// A CSV field, quoted when it must be (RFC 4180).
pub fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// USD in human units: `$1.23B`, `$456M`, `$12.3K`, `$950`; three
/// significant figures. From a thousand trillion up, scientific
/// (`$1.00e15`): a table column, not thirty digits of `T`.
pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        return format!("${}", num(x));
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    if a >= 999.5e12 {
        return format!("{sign}${a:.2e}");
    }
    let (v, unit) = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")]
        .into_iter()
        .find(|&(scale, _)| a >= scale * 0.9995)
        .map_or((a, ""), |(scale, u)| (a / scale, u));
    let digits = if v >= 99.95 {
        0
    } else if v >= 9.995 {
        1
    } else {
        2
    };
    let digits = if unit.is_empty() && v >= 1.0 {
        0
    } else {
        digits
    };
    format!("{sign}${v:.digits$}{unit}")
}

/// A ratio (avoided loss per dollar) to three significant digits: `7.54`,
/// `0.00213`, `-3.27`, `123` (two decimals would show 0.002 as `0.00`).
pub fn ratio(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return num(x);
    }
    let a = x.abs();
    if !(1e-6..1e15).contains(&a) {
        return format!("{x:.2e}");
    }
    let digits = (2 - a.log10().floor() as i32).clamp(0, 8) as usize;
    format!("{x:.digits$}")
}

/// A fraction as a percentage with one decimal: `12.3%`.
pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for x in [
            0.1,
            1.0 / 3.0,
            1234.5,
            2.5e20,
            3e-9,
            -7.25,
            1e16,
            123456789012.0,
        ] {
            let s = num(x);
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{s}");
        }
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(1234.5), "1234.5");
        assert_eq!(num(2.5e20), "2.5e20");
    }

    #[test]
    fn human_usd() {
        assert_eq!(usd(1.234e9), "$1.23B");
        assert_eq!(usd(456e6), "$456M");
        assert_eq!(usd(12_345.0), "$12.3K");
        assert_eq!(usd(950.0), "$950");
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(-2.5e12), "-$2.50T");
        assert_eq!(usd(999_999.0), "$1.00M");
        assert_eq!(usd(999e12), "$999T");
        assert_eq!(usd(999.6e12), "$1.00e15");
        assert_eq!(usd(-2.5e16), "-$2.50e16");
        assert_eq!(usd(1e300), "$1.00e300");
        // The sum of nothing is -0.0: no sign.
        assert_eq!(usd(-0.0), "$0.00");
    }

    #[test]
    fn ratios_keep_three_significant_digits() {
        assert_eq!(ratio(7.5412), "7.54");
        assert_eq!(ratio(0.0021345), "0.00213");
        assert_eq!(ratio(-3.2719), "-3.27");
        assert_eq!(ratio(123.4), "123");
        assert_eq!(ratio(0.0), "0");
        assert_eq!(ratio(2.5e-9), "2.50e-9");
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("us_auto"), "us_auto");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
