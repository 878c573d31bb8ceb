//! What counts as a page view: on access logs, only pages (static files,
//! failed requests and other methods are filtered, by reason); in dumps,
//! the event types of `page_view_events`, changeable; and the warnings when
//! an import has no page view or a funnel step or conversion type matches
//! no event.

use crate::util::{Env, shared};

/// A visitor loads a page and its five images over 49 s, then posts a
/// form and gets a 404: one page view among seven requests.
const LOG: &str = concat!(
    "1.2.3.4 - - [01/Mar/2026:10:00:00 +0000] \"GET /home HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n",
    "1.2.3.4 - - [01/Mar/2026:10:00:10 +0000] \"GET /img/a.png HTTP/1.1\" 200 99 \"-\" \"Mozilla/5.0\"\n",
    "1.2.3.4 - - [01/Mar/2026:10:00:20 +0000] \"GET /img/b.png HTTP/1.1\" 200 99 \"-\" \"Mozilla/5.0\"\n",
    "1.2.3.4 - - [01/Mar/2026:10:00:30 +0000] \"GET /img/c.jpg HTTP/1.1\" 200 99 \"-\" \"Mozilla/5.0\"\n",
    "1.2.3.4 - - [01/Mar/2026:10:00:40 +0000] \"GET /css/site.css HTTP/1.1\" 200 99 \"-\" \"Mozilla/5.0\"\n",
    "1.2.3.4 - - [01/Mar/2026:10:00:49 +0000] \"GET /js/app.js HTTP/1.1\" 200 99 \"-\" \"Mozilla/5.0\"\n",
    "1.2.3.4 - - [01/Mar/2026:10:01:00 +0000] \"POST /form HTTP/1.1\" 302 0 \"-\" \"Mozilla/5.0\"\n",
    "1.2.3.4 - - [01/Mar/2026:10:01:05 +0000] \"GET /missing HTTP/1.1\" 404 0 \"-\" \"Mozilla/5.0\"\n",
    "5.6.7.8 - - [01/Mar/2026:10:02:00 +0000] \"GET /home HTTP/1.1\" 200 512 \"-\" \"Googlebot/2.1\"\n",
);

#[test]
fn a_page_with_its_images_is_one_page_view_that_bounces() {
    let env = Env::new();
    let log = env.write("access.log", LOG.as_bytes());
    let summary = env.import(&[&log]);
    assert!(
        summary.contains("9 rows read, 1 imported, 0 duplicates, 0 rejected, 8 filtered (robot 1, asset 5, status 1, method 1)"),
        "{summary}"
    );
    // One session of one page view: bounced, not engaged, 0 s.
    assert_eq!(
        env.rows("SELECT events, pageviews, bounced, engaged, duration_s FROM sessions"),
        vec!["1|1|1|0|0"]
    );
    assert_eq!(
        env.rows("SELECT reason, rows FROM import_filters ORDER BY reason"),
        vec!["asset|5", "method|1", "robot|1", "status|1"]
    );
    assert_eq!(
        env.rows("SELECT rows_read, imported, duplicates, rejected, filtered FROM imports"),
        vec!["9|1|0|0|8"]
    );
    // --keep-assets keeps them as events: one session of 8 events over
    // 65 s, engaged by its length though it has one page view.
    let kept = Env::new();
    let log = kept.write("access.log", LOG.as_bytes());
    let output = kept
        .sessiondb()
        .args(["import", "--keep-assets"])
        .arg(&log)
        .output()
        .expect("run");
    assert!(output.status.success());
    assert_eq!(
        kept.rows("SELECT events, pageviews, bounced, engaged, duration_s FROM sessions"),
        vec!["8|1|0|1|65"]
    );
    assert_eq!(
        kept.rows("SELECT event_type, events FROM event_types ORDER BY event_type"),
        vec!["asset|5", "error|1", "page_view|1", "request|1"]
    );
}

#[test]
fn a_tsv_log_with_method_and_status_mapped_is_classed_like_a_log() {
    let env = Env::new();
    let tsv = env.write(
        "log.tsv",
        b"host\ttime\tmethod\turl\tresponse\n\
          a\t807256800\tGET\t/index.html\t200\n\
          a\t807256810\tGET\t/logo.gif\t200\n\
          a\t807256820\tPOST\t/form\t200\n\
          a\t807256830\tGET\t/gone.html\t404\n\
          a\t807256840\tGET\t/next.html\t304\n",
    );
    let output = env
        .sessiondb()
        .args([
            "import",
            "--map",
            "user_id=host,timestamp=time,page=url,method=method,status=response",
        ])
        .arg(&tsv)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("5 rows read, 2 imported, 0 duplicates, 0 rejected, 3 filtered (asset 1, status 1, method 1)"),
        "{stderr}"
    );
    assert_eq!(
        env.rows("SELECT event_type, page, json_extract(properties, '$.status') FROM events ORDER BY ts_ms"),
        vec!["page_view|/index.html|200", "page_view|/next.html|304"]
    );
    assert_eq!(
        env.rows("SELECT pageviews, landing_page, exit_page FROM sessions"),
        vec!["2|/index.html|/next.html"]
    );
}

#[test]
#[ignore = "needs ../shared"]
fn on_the_elastic_apache_log_bounce_and_engagement_count_page_views_not_images() {
    let log = shared("data/elastic-apache-logs/apache_logs.log");
    let env = Env::new();
    env.import(&[&log]);
    // Every stored event is a page view, so no session is engaged by its
    // images, and none has no page view.
    assert_eq!(
        env.number("SELECT count(*) FROM sessions WHERE events <> pageviews"),
        0.0
    );
    assert_eq!(
        env.number("SELECT count(*) FROM sessions WHERE landing_page IS NULL"),
        0.0
    );
    assert_eq!(
        env.number("SELECT sum(rows) FROM import_filters"),
        env.number("SELECT filtered FROM imports")
    );
    assert_eq!(
        env.number("SELECT rows_read - imported - duplicates - rejected - filtered FROM imports"),
        0.0
    );
    assert!(env.number("SELECT rows FROM import_filters WHERE reason = 'asset'") > 5000.0);
    // A session is engaged only by 2 page views or more than 10 s between
    // page views.
    assert_eq!(
        env.number("SELECT count(*) FROM sessions WHERE engaged = 1 AND pageviews < 2"),
        0.0
    );
    let kept = Env::new();
    let output = kept
        .sessiondb()
        .args(["import", "--keep-assets"])
        .arg(&log)
        .output()
        .expect("run");
    assert!(output.status.success());
    assert!(
        kept.number("SELECT count(*) FROM sessions WHERE engaged = 1 AND pageviews < 2") > 100.0
    );
    assert!(kept.number("SELECT count(*) FROM sessions WHERE pageviews = 0") > 100.0);
}

/// Three sessions of REES46-like events, whose page views are `view`.
const VIEWS: &[u8] = b"event_id,user_id,timestamp,event_type,page\n\
    1,u1,2026-03-01T10:00:00Z,view,/a\n\
    2,u1,2026-03-01T10:01:00Z,view,/b\n\
    3,u1,2026-03-01T10:02:00Z,cart,/b\n\
    4,u2,2026-03-01T11:00:00Z,view,/a\n\
    5,u3,2026-03-01T12:00:00Z,purchase,/c\n";

#[test]
fn page_views_under_another_name_warn_and_can_be_named() {
    let plain = Env::new();
    let file = plain.write("views.csv", VIEWS);
    let summary = plain.import(&[&file]);
    assert!(
        summary.contains("none of the 5 events is a page view")
            && summary.contains("view (3)")
            && summary.contains("page-views set view"),
        "{summary}"
    );
    assert_eq!(plain.number("SELECT pageviews FROM overview"), 0.0);

    let named = Env::new();
    let file = named.write("views.csv", VIEWS);
    let output = named
        .sessiondb()
        .args(["import", "--page-view-types", "view"])
        .arg(&file)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && !stderr.contains("warning"),
        "{stderr}"
    );
    // By hand: u1 views /a and /b (landing /a, exit /b, 2 page views,
    // engaged), u2 views /a (bounced), u3 buys (no page view).
    assert_eq!(
        named.rows("SELECT user_id, pageviews, landing_page, exit_page, engaged FROM sessions ORDER BY user_id"),
        vec!["u1|2|/a|/b|1", "u2|1|/a|/a|0", "u3|0|NULL|NULL|1"]
    );
    // Setting the names afterwards gives the same database.
    plain.ok(&["page-views", "set", "view"]);
    for report in [
        "overview",
        "landing_pages",
        "pages",
        "bounce_definitions",
        "event_types",
    ] {
        assert_eq!(
            plain.rows(&format!("SELECT * FROM {report}")),
            named.rows(&format!("SELECT * FROM {report}")),
            "{report}"
        );
    }
    assert!(plain.ok(&["check"]).starts_with("ok"));
    // A later import naming other types is refused, with the command that
    // changes them.
    let output = named
        .sessiondb()
        .args(["import", "--page-view-types", "page_view"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("page-views set page_view"));
    assert_eq!(
        named.rows("SELECT event_type, events, page_view, conversion FROM event_types"),
        vec!["view|3|1|0", "cart|1|0|0", "purchase|1|0|1"]
    );
    // Sessions without a page view read "(no page view)" in report tables.
    let table = named.ok(&["report", "landing_pages", "--format", "table"]);
    assert!(table.contains("(no page view)"), "{table}");
}

#[test]
fn a_funnel_step_or_conversion_type_without_events_is_warned_about() {
    let env = Env::new();
    let file = env.write("views.csv", VIEWS);
    env.import(&[&file]);
    let output = env
        .sessiondb()
        .args(["funnel", "view", "purchse", "--format", "csv"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no event has the type \"purchse\" (step 2)")
            && stderr.contains("did you mean purchase"),
        "{stderr}"
    );
    let output = env
        .sessiondb()
        .args(["conversions", "set", "cart,sigup"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"sigup\" (a conversion type)"), "{stderr}");
    assert!(!stderr.contains("\"cart\""), "cart has events: {stderr}");
}
