//! The `funnels` view in the engines. SQLite's view walks the steps with a
//! recursive query and GLOB; here each session's events, in (ts_ms,
//! event_id) order, are folded against each saved funnel's steps (Spark
//! `aggregate`, ClickHouse `arrayFold`): the count of steps reached goes up
//! by one at the first event after the previous step's that matches the
//! next step, which is the view's definition. Page patterns (GLOB) become
//! regular expressions by [`glob_regex`]. A test holds the result to
//! SQLite's view.

use super::dialect::Engine;
use super::sessions::SESSIONED_EVENTS;
use crate::funnel::Step;

/// The view's query over the saved `funnels` (in `sessioned_events`).
pub fn query(engine: Engine, funnels: &[(String, Vec<Step>)]) -> String {
    let e = engine;
    let null_text = e.null_text();
    if funnels.is_empty() {
        let null_int = "CAST(NULL AS BIGINT)";
        let null_double = "CAST(NULL AS DOUBLE)";
        return format!(
            "SELECT {null_text} AS funnel, {null_int} AS step, {null_text} AS event_type, {null_text} AS page_pattern,
    {null_int} AS sessions, {null_double} AS from_previous_rate, {null_double} AS from_first_rate
FROM (SELECT 1 AS none) nothing
WHERE 1 = 0"
        );
    }
    let mut steps = Vec::new();
    let mut reached = Vec::new();
    for (name, funnel) in funnels {
        for (index, step) in funnel.iter().enumerate() {
            let pattern = step
                .page_pattern
                .as_deref()
                .map_or(null_text.clone(), |p| e.literal(p));
            steps.push(format!(
                "SELECT {} AS funnel, CAST({} AS BIGINT) AS step, {} AS event_type, {pattern} AS page_pattern",
                e.literal(name),
                index + 1,
                e.literal(&step.event_type)
            ));
        }
        reached.push(format!(
            "SELECT {} AS funnel, {} AS steps_reached FROM session_events",
            e.literal(name),
            fold(e, funnel)
        ));
    }
    let events = match e {
        Engine::Spark => {
            "array_sort(collect_list(named_struct('ts', ts_ms, 'id', event_id, 'type', event_type, 'page', page)))"
        }
        Engine::ClickHouse => "arraySort(groupArray((ts_ms, event_id, event_type, page)))",
    };
    format!(
        "WITH steps AS (
    {steps}
),
session_events AS (
    SELECT session_id, {events} AS events
    FROM {SESSIONED_EVENTS}
    GROUP BY user_id, session_id
),
reached AS (
    {reached}
),
histogram AS (
    SELECT funnel, steps_reached, count(*) AS sessions FROM reached GROUP BY funnel, steps_reached
),
counts AS (
    SELECT f.funnel, f.step,
        CAST(coalesce(sum(CASE WHEN h.steps_reached >= f.step THEN h.sessions ELSE 0 END), 0) AS BIGINT) AS sessions
    FROM steps f
    LEFT JOIN histogram h ON h.funnel = f.funnel
    GROUP BY f.funnel, f.step
)
SELECT f.funnel AS funnel, f.step AS step, f.event_type AS event_type, f.page_pattern AS page_pattern,
    c.sessions AS sessions,
    CAST(c.sessions AS DOUBLE) / nullif(p.sessions, 0) AS from_previous_rate,
    CAST(c.sessions AS DOUBLE) / nullif(s1.sessions, 0) AS from_first_rate
FROM steps f
JOIN counts c ON c.funnel = f.funnel AND c.step = f.step
LEFT JOIN counts p ON p.funnel = f.funnel AND p.step = f.step - 1
JOIN counts s1 ON s1.funnel = f.funnel AND s1.step = 1
ORDER BY f.funnel, f.step",
        steps = steps.join("\n    UNION ALL "),
        reached = reached.join("\n    UNION ALL "),
    )
}

/// The number of `steps` a session's `events` reach.
fn fold(engine: Engine, steps: &[Step]) -> String {
    let (event_type, page) = match engine {
        Engine::Spark => ("e.type", "e.page"),
        Engine::ClickHouse => ("e.3", "e.4"),
    };
    let matches: Vec<String> = steps
        .iter()
        .map(|step| {
            let mut condition = format!("{event_type} = {}", engine.literal(&step.event_type));
            if let Some(pattern) = &step.page_pattern {
                condition = match glob_regex(pattern) {
                    Some(regex) => format!("{condition} AND {}", engine.regex_match(page, &regex)),
                    // A pattern with an unclosed [ matches no page.
                    None => "1 = 0".to_string(),
                };
            }
            condition
        })
        .collect();
    match engine {
        Engine::Spark => {
            let cases: Vec<String> = matches
                .iter()
                .enumerate()
                .map(|(k, condition)| format!("WHEN k = {k} AND {condition} THEN {}", k + 1))
                .collect();
            format!(
                "aggregate(events, 0, (k, e) -> CASE {} ELSE k END)",
                cases.join(" ")
            )
        }
        Engine::ClickHouse => {
            let cases: Vec<String> = matches
                .iter()
                .enumerate()
                .map(|(k, condition)| format!("k = {k} AND {condition}, toInt64({})", k + 1))
                .collect();
            format!(
                "arrayFold((k, e) -> multiIf({}, k), events, toInt64(0))",
                cases.join(", ")
            )
        }
    }
}

/// A regular expression (for Java's and RE2's engines alike) matching the
/// texts that SQLite's `GLOB pattern` matches: `*` any text, `?` one
/// character, `[...]` one character of a set (`^` first inverts it, `]`
/// first is a member, `a-z` a range), anything else itself. `None` when the
/// pattern matches nothing (a `[` never closed).
pub fn glob_regex(pattern: &str) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut regex = String::from("(?s)^");
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => regex.push_str(".*"),
            '?' => regex.push('.'),
            '[' => {
                let (class, next) = glob_set(&chars, i + 1)?;
                regex.push_str(&class);
                i = next;
                continue;
            }
            c => push_literal(&mut regex, c),
        }
        i += 1;
    }
    regex.push_str("\\z");
    Some(regex)
}

/// The set opening at `chars[from]` (after its `[`) as a character class,
/// and the position after its `]`, as SQLite reads it (`patternCompare`).
fn glob_set(chars: &[char], from: usize) -> Option<(String, usize)> {
    let mut i = from;
    let invert = chars.get(i) == Some(&'^');
    if invert {
        i += 1;
    }
    let mut members: Vec<(char, char)> = Vec::new();
    if chars.get(i) == Some(&']') {
        members.push((']', ']'));
        i += 1;
    }
    let mut prior: Option<char> = None;
    loop {
        let c = *chars.get(i)?;
        if c == ']' {
            break;
        }
        let range_end = chars.get(i + 1).filter(|&&next| next != ']');
        match (c, prior, range_end) {
            ('-', Some(low), Some(&high)) => {
                // Its first character is a member already; a reversed
                // range adds nothing.
                if low < high {
                    members.push((low, high));
                }
                prior = None;
                i += 2;
            }
            _ => {
                members.push((c, c));
                prior = Some(c);
                i += 1;
            }
        }
    }
    let mut class = String::from(if invert { "[^" } else { "[" });
    for (low, high) in &members {
        class.push_str(&format!("\\x{{{:x}}}", u32::from(*low)));
        if low != high {
            class.push_str(&format!("-\\x{{{:x}}}", u32::from(*high)));
        }
    }
    if members.is_empty() {
        // An empty set matches no character; an empty inverted one, any.
        class = if invert {
            "(?:.)"
        } else {
            "[^\\x{0}-\\x{10ffff}]"
        }
        .to_string();
    } else {
        class.push(']');
    }
    Some((class, i + 1))
}

/// A character matching itself: letters and digits as they are, any other
/// character as a hex escape, which Java, RE2 and the regex crate read
/// alike (a backslash before punctuation does not: `\<` is a word
/// boundary to the regex crate).
fn push_literal(regex: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || !c.is_ascii() && !c.is_control() {
        regex.push(c);
    } else {
        regex.push_str(&format!("\\x{{{:x}}}", u32::from(c)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_patterns_become_anchored_regexes() {
        assert_eq!(
            glob_regex("/blog/*").as_deref(),
            Some("(?s)^\\x{2f}blog\\x{2f}.*\\z")
        );
        assert_eq!(glob_regex("/p?gé").as_deref(), Some("(?s)^\\x{2f}p.gé\\z"));
        assert_eq!(
            glob_regex("[a-c]x").as_deref(),
            Some("(?s)^[\\x{61}\\x{61}-\\x{63}]x\\z")
        );
        assert_eq!(
            glob_regex("[^]-]").as_deref(),
            Some("(?s)^[^\\x{5d}\\x{2d}]\\z")
        );
        assert_eq!(glob_regex("a[b"), None);
    }
}
