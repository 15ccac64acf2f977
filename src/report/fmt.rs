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

/// USD in human units to three significant figures: `$1.23B`, `$456M`,
/// `$12.3K`, `$950`, `$12.3`, `$1.20`, `$0.0123`; below a thousandth of a
/// dollar and from a thousand trillion up, scientific (`$1.23e-4`,
/// `$1.00e15`: a table column, not thirty digits of `T`). Zero is `$0.00`,
/// whatever its sign; a value never rounds to zero, so no small negative
/// reads `-$0.00`.
pub fn usd(x: f64) -> String {
    usd_digits(x, 3)
}

/// USD as [`usd`] prints it, with more significant figures where three
/// would read as another number: `$5.000001K` for 5000.001, `$2.00B` for
/// 2e9. For a threshold, whose label must not seem to say a different
/// amount.
pub fn usd_exact(x: f64) -> String {
    let a = x.abs();
    // Seventeen significant figures read back as any double.
    let digits = (3..=17)
        .find(|&d| {
            format!("{a:.p$e}", p = d - 1)
                .parse::<f64>()
                .is_ok_and(|b| b == a)
        })
        .unwrap_or(17);
    usd_digits(x, digits)
}

/// USD with `digits` (at least one) significant figures, in the units of
/// [`usd`].
fn usd_digits(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return format!("${}", num(x));
    }
    if x == 0.0 {
        return "$0.00".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // Rounded once, by the formatter: `d.ddd` and the decimal exponent of
    // the rounded value (999.96 → 1.00e3, so it reads `$1.00K`).
    let sci = format!("{:.p$e}", x.abs(), p = digits.max(1) - 1);
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return format!("${}", num(x));
    };
    let Ok(exp) = exp.parse::<i32>() else {
        return format!("${}", num(x));
    };
    let unit = match exp {
        15.. | ..-3 => return format!("{sign}${mantissa}e{exp}"),
        12.. => (12, "T"),
        9.. => (9, "B"),
        6.. => (6, "M"),
        3.. => (3, "K"),
        _ => (0, ""),
    };
    let figures: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // Figures before the decimal point, in the unit.
    let whole = exp - unit.0 + 1;
    let text = if whole <= 0 {
        format!("0.{}{figures}", "0".repeat(whole.unsigned_abs() as usize))
    } else {
        let whole = whole as usize;
        if whole >= figures.len() {
            format!("{figures}{}", "0".repeat(whole - figures.len()))
        } else {
            format!("{}.{}", &figures[..whole], &figures[whole..])
        }
    };
    format!("{sign}${text}{}", unit.1)
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

    /// Below a thousand, three significant figures as above it (1.2 read
    /// `$1`, with no decimals, while 0.5 read `$0.50`); small values keep
    /// theirs, so a small negative never reads `-$0.00`.
    #[test]
    fn usd_below_a_thousand_keeps_three_figures() {
        for (x, want) in [
            (999.4, "$999"),
            (999.5, "$1.00K"),
            (123.456, "$123"),
            (99.96, "$100"),
            (12.34, "$12.3"),
            (1.2, "$1.20"),
            (1.0, "$1.00"),
            (0.9996, "$1.00"),
            (0.5, "$0.500"),
            (0.123456, "$0.123"),
            (0.0018419, "$0.00184"),
            (0.001, "$0.00100"),
            (0.000999, "$9.99e-4"),
            (1.5e-9, "$1.50e-9"),
            (-1.2, "-$1.20"),
            (-0.004, "-$0.00400"),
            (-1e-12, "-$1.00e-12"),
        ] {
            assert_eq!(usd(x), want, "{x}");
            assert_ne!(usd(x), "-$0.00");
        }
    }

    /// A threshold's label reads back as the threshold: more figures only
    /// where three would round it.
    #[test]
    fn exact_usd_reads_back_as_the_value() {
        for (x, want) in [
            (5000.001, "$5.000001K"),
            (5000.0, "$5.00K"),
            (2e9, "$2.00B"),
            (1.5e6, "$1.50M"),
            (1234.5, "$1.2345K"),
            (100.5, "$100.5"),
            (0.1, "$0.100"),
            (999.96, "$999.96"),
            (1e15, "$1.00e15"),
            (1.0 / 3.0, "$0.3333333333333333"),
        ] {
            assert_eq!(usd_exact(x), want, "{x}");
        }
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
