//! Reading `CHANGELOG.md` in the Keep a Changelog style: `## [Unreleased]`, then one
//! `## [X.Y.Z] - YYYY-MM-DD` section per release, newest first.

/// One `## [...]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// What stands in the brackets: `Unreleased` or a version.
    pub(crate) title: String,
    /// The date after ` - `, if any.
    pub(crate) date: Option<String>,
    /// The number of list items (`- ` or `* ` lines) in the section.
    pub(crate) items: usize,
}

/// The `## [...]` sections of a changelog, in file order.
pub(crate) fn sections(text: &str) -> Result<Vec<Section>, String> {
    let mut out: Vec<Section> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(heading) = line.strip_prefix("## ") {
            out.push(parse_heading(heading).map_err(|e| format!("line {}: {e}", n + 1))?);
        } else if let Some(section) = out.last_mut() {
            let item = line.trim_start();
            if item.starts_with("- ") || item.starts_with("* ") {
                section.items += 1;
            }
        }
    }
    Ok(out)
}

/// `[X] - DATE` or `[X]`.
fn parse_heading(heading: &str) -> Result<Section, String> {
    let rest = heading
        .strip_prefix('[')
        .ok_or_else(|| format!("heading `## {heading}` is not `## [version] - date`"))?;
    let (title, after) = rest
        .split_once(']')
        .ok_or_else(|| format!("heading `## {heading}` has no `]`"))?;
    let after = after.trim();
    let date = if after.is_empty() {
        None
    } else {
        let date = after
            .strip_prefix("- ")
            .ok_or_else(|| format!("heading `## {heading}`: expected ` - YYYY-MM-DD`"))?
            .trim();
        if !is_iso_date(date) {
            return Err(format!(
                "heading `## {heading}`: {date:?} is not YYYY-MM-DD"
            ));
        }
        Some(date.to_owned())
    };
    if title != "Unreleased" && semver::Version::parse(title).is_err() {
        return Err(format!(
            "heading `## {heading}`: {title:?} is not a version"
        ));
    }
    Ok(Section {
        title: title.to_owned(),
        date,
        items: 0,
    })
}

/// `YYYY-MM-DD` with a plausible month and day.
fn is_iso_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return false;
    }
    let (m, d): (u32, u32) = (m.parse().unwrap_or(0), d.parse().unwrap_or(0));
    (1..=12).contains(&m) && (1..=31).contains(&d)
}

/// The section of release `version`: it must exist, carry a date and list something.
pub(crate) fn release_section(text: &str, version: &semver::Version) -> Result<Section, String> {
    let version = version.to_string();
    let found = sections(text)?
        .into_iter()
        .find(|s| s.title == version)
        .ok_or_else(|| format!("CHANGELOG.md has no `## [{version}] - YYYY-MM-DD` section"))?;
    if found.date.is_none() {
        return Err(format!("CHANGELOG.md: `## [{version}]` has no date"));
    }
    if found.items == 0 {
        return Err(format!("CHANGELOG.md: `## [{version}]` lists nothing"));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2027-01-15\n### Added\n- a\n* b\n\n## [0.1.0] - 2026-11-30\n- first\n\n[0.1.0]: https://example.invalid\n";

    #[test]
    fn sections_are_read_in_order_with_dates_and_items() {
        let found = sections(TEXT).unwrap();
        let titles: Vec<&str> = found.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Unreleased", "0.2.0", "0.1.0"]);
        assert_eq!(found[0].date, None);
        assert_eq!(found[1].date.as_deref(), Some("2027-01-15"));
        assert_eq!(found[1].items, 2);
        assert_eq!(found[2].items, 1);
    }

    #[test]
    fn the_release_needs_a_dated_non_empty_section() {
        let v = |s| semver::Version::parse(s).unwrap();
        assert_eq!(release_section(TEXT, &v("0.1.0")).unwrap().items, 1);
        assert!(release_section(TEXT, &v("0.3.0"))
            .unwrap_err()
            .contains("no `## [0.3.0]"));
        let undated = "## [0.1.0]\n- x\n";
        assert!(release_section(undated, &v("0.1.0"))
            .unwrap_err()
            .contains("no date"));
        let empty = "## [0.1.0] - 2026-11-30\n\n## [0.0.1] - 2026-01-01\n- x\n";
        assert!(release_section(empty, &v("0.1.0"))
            .unwrap_err()
            .contains("lists nothing"));
    }

    #[test]
    fn malformed_headings_are_errors() {
        for bad in [
            "## 0.1.0 - 2026-11-30",
            "## [0.1.0 - 2026-11-30",
            "## [0.1.0] 2026-11-30",
            "## [0.1.0] - 30.11.2026",
            "## [0.1.0] - 2026-13-01",
            "## [one] - 2026-11-30",
        ] {
            assert!(sections(bad).is_err(), "{bad}");
        }
    }
}
