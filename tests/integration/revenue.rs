//! Revenue adds up exactly or the import is refused: every summary equals
//! the sum over `sessions`, whatever revenues an import accepts (the hostile
//! test's two purchases of 5e12 made the overview wrap to a negative total).

use crate::util::Env;

const HEADER: &str = "event_id,user_id,timestamp,event_type,revenue\n";

/// A purchase by its own user (its own session) on 2026-03-01.
fn purchase(n: usize, revenue: &str) -> String {
    format!(
        "e{n},u{n},2026-03-01T10:{:02}:00Z,purchase,{revenue}\n",
        n % 60
    )
}

#[test]
fn revenues_beyond_a_trillion_or_not_finite_are_rejected_with_a_reason() {
    let env = Env::new();
    let mut csv = HEADER.to_string();
    for (n, revenue) in [
        "5e12",
        "1e308",
        "-2e12",
        "inf",
        "1000000000000",
        "-1000000000000",
    ]
    .iter()
    .enumerate()
    {
        csv.push_str(&purchase(n, revenue));
    }
    let file = env.write("big.csv", csv.as_bytes());
    env.import(&[&file]);
    assert_eq!(
        env.rows("SELECT line, reason FROM rejected_rows ORDER BY line"),
        vec![
            "2|bad_revenue",
            "3|bad_revenue",
            "4|bad_revenue",
            "5|bad_revenue"
        ]
    );
    // The two at the limit are kept, and cancel out.
    assert_eq!(env.number("SELECT count(*) FROM sessions"), 2.0);
    assert_eq!(env.number("SELECT revenue FROM overview"), 0.0);
}

#[test]
fn a_day_whose_revenue_passes_the_exact_range_refuses_the_import() {
    let env = Env::new();
    let mut small = HEADER.to_string();
    small.push_str(&purchase(99, "12.5"));
    let first = env.write("first.csv", small.as_bytes());
    env.import(&[&first]);
    let before = env.rows("SELECT * FROM daily_stats");
    // Ten purchases of a trillion on one day: 1e13 is more than the
    // summaries' 64-bit millionths hold (9.2e12).
    let mut csv = HEADER.to_string();
    for n in 0..10 {
        csv.push_str(&purchase(n, "1000000000000"));
    }
    let file = env.write("many.csv", csv.as_bytes());
    let output = env
        .sessiondb()
        .args(["import"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("beyond what sessiondb counts exactly")
            && stderr.contains("nothing was imported"),
        "{stderr}"
    );
    assert_eq!(
        env.rows("SELECT * FROM daily_stats"),
        before,
        "nothing stored"
    );
    assert_eq!(env.number("SELECT count(*) FROM events"), 1.0);
}

#[test]
fn one_session_whose_revenue_passes_the_exact_range_refuses_the_import() {
    let env = Env::new();
    let mut csv = HEADER.to_string();
    for n in 0..10 {
        // One user, a minute apart: one session of 1e13.
        csv.push_str(&format!(
            "e{n},u,2026-03-01T10:{n:02}:00Z,purchase,1000000000000\n"
        ));
    }
    let file = env.write("session.csv", csv.as_bytes());
    let output = env
        .sessiondb()
        .arg("import")
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("revenue") && stderr.contains("9e12"),
        "{stderr}"
    );
    assert!(!env.db().exists(), "a failed first import leaves no file");
}

#[test]
fn large_but_representable_revenues_add_up_to_the_sum_over_sessions() {
    let env = Env::new();
    let mut csv = HEADER.to_string();
    // 4,000 purchases of up to a billion with cents, over a few sessions a
    // day: totals in the trillions, exact to the cent.
    for n in 0..4000usize {
        let revenue = format!("{}.{:02}", (n * 250_000_007) % 1_000_000_000, n % 100);
        csv.push_str(&format!(
            "e{n},u{},2026-03-{:02}T10:{:02}:00Z,purchase,{revenue}\n",
            n % 7,
            1 + n % 9,
            n % 60
        ));
    }
    let file = env.write("large.csv", csv.as_bytes());
    env.import(&[&file]);
    let direct: i64 = env
        .conn()
        .query_row(
            "SELECT sum(CAST(round(revenue * 1000000) AS INTEGER)) FROM sessions",
            [],
            |r| r.get(0),
        )
        .expect("sum");
    assert!(
        direct > 1_000_000_000_000 * 1_000_000,
        "totals in the trillions"
    );
    let stored: i64 = env
        .conn()
        .query_row("SELECT sum(revenue_micros) FROM daily_stats", [], |r| {
            r.get(0)
        })
        .expect("sum");
    assert_eq!(stored, direct);
    assert_eq!(
        env.ok(&["check"])
            .lines()
            .next()
            .map(|l| l.starts_with("ok")),
        Some(true)
    );
}
