//! "Did you mean": the known names closest to one a person typed, for
//! messages about unknown reports, zones, fields and event types.

/// Edit distance between two strings (insertions, deletions,
/// substitutions, swaps of neighbours), ignoring ASCII case.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_ascii_lowercase().chars().collect();
    let b: Vec<char> = b.to_ascii_lowercase().chars().collect();
    // Rows i-1 and i-2 of the table, so that swapping two neighbours (the
    // commonest typo: `reprot`) costs one edit, not two.
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            let mut best = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
            if i > 0 && j > 0 && *ca == b[j - 1] && a[i - 1] == *cb {
                best = best.min(before[j - 1] + 1);
            }
            current.push(best);
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

/// Up to three of `known` close to `typed` (within a third of its length,
/// or one containing the other), closest first.
pub fn closest<'k>(typed: &str, known: impl IntoIterator<Item = &'k str>) -> Vec<&'k str> {
    let limit = (typed.chars().count() / 3).max(2);
    let lower = typed.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = known
        .into_iter()
        .filter_map(|name| {
            let d = distance(typed, name);
            let name_lower = name.to_ascii_lowercase();
            let contains = lower.len() >= 3
                && name_lower.len() >= 3
                && (name_lower.contains(&lower) || lower.contains(&name_lower));
            (d <= limit || contains).then_some((d, name))
        })
        .collect();
    scored.sort();
    scored.dedup();
    scored.into_iter().take(3).map(|(_, name)| name).collect()
}

/// `; did you mean a or b?`, or nothing when no name is close.
pub fn did_you_mean<'k>(typed: &str, known: impl IntoIterator<Item = &'k str>) -> String {
    let close = closest(typed, known);
    if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", close.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_come_first_and_far_ones_not_at_all() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("Page_View", "page_view"), 0);
        assert_eq!(distance("reprot", "report"), 1);
        assert_eq!(
            closest("reprot", ["report", "export", "resessionize"]),
            vec!["report"]
        );
        let known = ["page_view", "purchase", "add_to_cart", "view"];
        assert_eq!(closest("pageview", known), vec!["page_view", "view"]);
        assert_eq!(closest("purchse", known), vec!["purchase"]);
        assert!(closest("zzzzzz", known).is_empty());
        assert_eq!(
            did_you_mean("overveiw", ["overview", "pages"]),
            "; did you mean overview?"
        );
    }
}
