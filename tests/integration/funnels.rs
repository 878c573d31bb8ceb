//! `sessiondb funnel` and the `funnels` view, on sessions worked out by
//! hand.

use crate::util::Env;

// Funnel page_view:/pricing -> signup -> purchase:
// S1 u1 day 1: /, /pricing, click, signup, purchase        -> steps 1, 2, 3
// S2 u2 day 1: signup, then /pricing (signup came first)   -> step 1
// S3 u3 day 1: /pricing, signup                            -> steps 1, 2
// S4 u4 day 1: /blog/a, purchase                           -> none
// S5 u1 day 2: /pricing, /pricing, signup, signup, purchase -> steps 1, 2, 3
// S6 u5 day 1: signup (id a) and /pricing (id b) at the same time: a comes
//    first in event order                                  -> step 1
const EVENTS: &[u8] = b"event_id,user_id,timestamp,event_type,page
s1a,u1,2026-03-02T10:00:00Z,page_view,/
s1b,u1,2026-03-02T10:01:00Z,page_view,/pricing
s1c,u1,2026-03-02T10:02:00Z,click,/pricing
s1d,u1,2026-03-02T10:03:00Z,signup,/signup
s1e,u1,2026-03-02T10:04:00Z,purchase,/checkout
s2a,u2,2026-03-02T11:00:00Z,signup,/signup
s2b,u2,2026-03-02T11:01:00Z,page_view,/pricing
s3a,u3,2026-03-02T12:00:00Z,page_view,/pricing
s3b,u3,2026-03-02T12:05:00Z,signup,/signup
s4a,u4,2026-03-02T13:00:00Z,page_view,/blog/a
s4b,u4,2026-03-02T13:01:00Z,purchase,/checkout
s5a,u1,2026-03-03T10:00:00Z,page_view,/pricing
s5b,u1,2026-03-03T10:01:00Z,page_view,/pricing
s5c,u1,2026-03-03T10:02:00Z,signup,/signup
s5d,u1,2026-03-03T10:03:00Z,signup,/signup
s5e,u1,2026-03-03T10:04:00Z,purchase,/checkout
a,u5,2026-03-02T14:00:00Z,signup,/signup
b,u5,2026-03-02T14:00:00Z,page_view,/pricing
";

const STEPS: [&str; 3] = ["page_view:/pricing", "signup", "purchase"];

fn env() -> Env {
    let env = Env::new();
    env.import(&[&env.write("events.csv", EVENTS)]);
    env
}

fn funnel(env: &Env, extra: &[&str]) -> String {
    let mut args = vec!["funnel"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--format", "csv"]);
    env.ok(&args)
}

const HEADER: &str = "step,event_type,page_pattern,sessions,from_previous_rate,from_first_rate\n";

#[test]
fn sessions_reach_each_step_in_order() {
    let env = env();
    // 5 sessions see /pricing; S1, S3, S5 sign up after it; S1, S5 buy
    // after that.
    assert_eq!(
        funnel(&env, &STEPS),
        format!(
            "{HEADER}1,page_view,/pricing,5,,1\n2,signup,,3,0.6,0.6\n3,purchase,,2,0.6666666666666666,0.4\n"
        )
    );
    // A glob pattern: only S4 views a blog page, then buys.
    assert_eq!(
        funnel(&env, &["page_view:/blog/*", "purchase"]),
        format!("{HEADER}1,page_view,/blog/*,1,,1\n2,purchase,,1,1,1\n")
    );
    // Sessions starting on 3 March: S5 alone.
    assert_eq!(
        funnel(&env, &[&STEPS[..], &["--from", "2026-03-03"]].concat()),
        format!("{HEADER}1,page_view,/pricing,1,,1\n2,signup,,1,1,1\n3,purchase,,1,1,1\n")
    );
    // A step nobody reaches: 0 sessions, and no rate after it.
    assert_eq!(
        funnel(&env, &["page_view:/pricing", "refund", "purchase"]),
        format!("{HEADER}1,page_view,/pricing,5,,1\n2,refund,,0,0,0\n3,purchase,,0,,0\n")
    );
}

#[test]
fn saved_funnels_are_a_view_any_client_reads() {
    let env = env();
    let printed = funnel(&env, &[&["--save", "pricing"], &STEPS[..]].concat());
    assert_eq!(printed, funnel(&env, &STEPS));
    assert_eq!(funnel(&env, &["--name", "pricing"]), printed);
    // The view, read with plain SQLite, gives the same numbers.
    assert_eq!(
        env.rows("SELECT funnel, step, event_type, page_pattern, sessions FROM funnels"),
        vec![
            "pricing|1|page_view|/pricing|5",
            "pricing|2|signup|NULL|3",
            "pricing|3|purchase|NULL|2"
        ]
    );
    assert_eq!(
        env.ok(&["funnel", "--list"]),
        "pricing: page_view:/pricing -> signup -> purchase\n"
    );
    // Saving again under the name replaces the steps.
    funnel(&env, &["--save", "pricing", "signup"]);
    assert_eq!(env.rows("SELECT count(*) FROM funnel_steps"), vec!["1"]);
    env.ok(&["funnel", "--delete", "pricing"]);
    assert_eq!(env.ok(&["funnel", "--list"]), "");
    let stderr = env.fails(&["funnel", "--name", "pricing"]);
    assert!(stderr.contains("no saved funnel \"pricing\""), "{stderr}");
    // Deleting from a file that does not exist creates none.
    let missing = env.dir.path().join("missing.db");
    let output = std::process::Command::new(crate::util::binary())
        .arg("--db")
        .arg(&missing)
        .args(["funnel", "--delete", "x"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no database at"));
    assert!(!missing.exists());
    // A malformed step is a usage error (status 2).
    let output = env
        .sessiondb()
        .args(["funnel", "page_view:"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the page after ':' is empty"), "{stderr}");
}
