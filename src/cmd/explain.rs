//! `sessiondb explain`: why one session is what it is (its boundaries and
//! flags, event by event), or the sessions of one user with why each starts.

use crate::explain::{self, Explanation, describe, duration_text, flag_reasons};
use crate::quote::sessiondb_command;
use crate::rules::SessionRules;
use crate::session::EventTypes;
use crate::store::Store;
use crate::timestamp::format_utc_ms;
use anyhow::{Result, bail};
use std::io::Write;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The session id (the `session_id` column of `sessions`).
    #[arg(value_name = "SESSION_ID", required_unless_present = "user")]
    session_id: Option<String>,

    /// List every session of this user instead, with why each starts.
    #[arg(long, value_name = "USER_ID", conflicts_with = "session_id")]
    user: Option<String>,
}

pub fn run(db: &Path, args: Args, wait: std::time::Duration) -> Result<()> {
    let store = Store::open_read(db, wait)?;
    let Some(rules) = store.session_rules()? else {
        bail!("{} has no sessions yet: import events first", db.display());
    };
    let type_names = store.conversion_types()?;
    let types = EventTypes::new(type_names.clone());
    let user = match (&args.session_id, &args.user) {
        (_, Some(user)) => user.clone(),
        (Some(id), None) => match store.session_user(id)? {
            Some(user) => user,
            None => bail!(
                "no session {id} in {}; session ids are in the sessions view ({})",
                db.display(),
                sessiondb_command(db, &["query", "SELECT session_id FROM sessions LIMIT 5"])
            ),
        },
        (None, None) => unreachable!("clap requires one"),
    };
    let events = store.user_events(&user)?;
    if events.is_empty() {
        bail!("no user {user} in {}", db.display());
    }
    let sessions = explain::explain_user(events, &rules, &types);
    let stored = store.user_sessions(&user)?;
    let mut out = std::io::stdout().lock();
    match &args.session_id {
        Some(id) if args.user.is_none() => {
            let Some(session) = sessions.iter().find(|s| &s.summary.session_id == id) else {
                bail!(
                    "session {id} is stored, but the stored rules ({rules}) no longer give it: run {}",
                    sessiondb_command(db, &["resessionize"])
                );
            };
            print_session(&mut out, session, &rules, &type_names)?;
        }
        _ => print_user(&mut out, &user, &sessions, &rules)?,
    }
    // Compared as sets: sessions starting in the same millisecond may come
    // in either order.
    let mut recomputed: Vec<_> = sessions.iter().map(|s| &s.summary).collect();
    recomputed.sort_by(|a, b| a.session_id.cmp(&b.session_id));
    let mut stored: Vec<_> = stored.iter().collect();
    stored.sort_by(|a, b| a.session_id.cmp(&b.session_id));
    if recomputed != stored {
        note!(
            "warning: the stored sessions of {user} differ from what the stored rules give now; {} rebuilds them",
            sessiondb_command(db, &["resessionize"])
        );
    }
    Ok(())
}

fn print_session(
    out: &mut impl Write,
    session: &Explanation,
    rules: &SessionRules,
    event_types: &[String],
) -> Result<()> {
    let s = &session.summary;
    writeln!(out, "session {} of user {}", s.session_id, s.user_id)?;
    writeln!(
        out,
        "  {} to {} ({}), {} events, {} page views",
        format_utc_ms(s.started_ms),
        format_utc_ms(s.ended_ms),
        duration_text(s.duration_ms()),
        s.events,
        s.pageviews
    )?;
    writeln!(out, "  rules:  {rules}")?;
    writeln!(out, "  starts: {}", describe(&session.start, rules))?;
    let end = describe(&session.end, rules);
    match session.end {
        explain::Boundary::LastEvent => writeln!(out, "  ends:   {end}")?,
        // Sessions of the source may overlap: the key, not the next
        // event, bounds them.
        explain::Boundary::SourceKey(_) => {
            writeln!(out, "  ends:   at the last event with this session key")?
        }
        _ => writeln!(out, "  ends:   before the user's next event: {end}")?,
    }
    for flag in flag_reasons(session, event_types) {
        let value = if flag.value { "yes" } else { "no" };
        writeln!(out, "  {:<10}{value:<4} {}", flag.flag, flag.because)?;
    }
    let none = |value: &Option<String>| value.clone().unwrap_or_else(|| "(none)".into());
    writeln!(
        out,
        "  landing page {}, exit page {}",
        none(&s.landing_page),
        none(&s.exit_page)
    )?;
    writeln!(
        out,
        "  source: referrer {}, utm {}/{}/{}",
        none(&s.referrer_domain),
        none(&s.utm_source),
        none(&s.utm_medium),
        none(&s.utm_campaign)
    )?;
    writeln!(out, "events:")?;
    for e in &session.events {
        let gap = e
            .gap_ms
            .map(|ms| format!("+{}", duration_text(ms)))
            .unwrap_or_default();
        let mark = if e.conversion { "  (conversion)" } else { "" };
        writeln!(
            out,
            "  {}  {gap:>11}  {:<12} {}{mark}",
            format_utc_ms(e.event.ts_ms),
            e.event.event_type,
            e.event.page.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}

fn print_user(
    out: &mut impl Write,
    user: &str,
    sessions: &[Explanation],
    rules: &SessionRules,
) -> Result<()> {
    writeln!(
        out,
        "user {user}: {} sessions under {rules}",
        sessions.len()
    )?;
    for session in sessions {
        let s = &session.summary;
        writeln!(
            out,
            "  {}  {}  {:>3} events  {:>8}  starts: {}",
            s.session_id,
            format_utc_ms(s.started_ms),
            s.events,
            duration_text(s.duration_ms()),
            describe(&session.start, rules)
        )?;
    }
    Ok(())
}
