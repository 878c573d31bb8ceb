//! Web-server access logs in the NCSA family: common (CLF), combined,
//! Apache's vhost forms, and nginx's default (combined, optionally with a
//! trailing X-Forwarded-For field). One tolerant parser reads them all; each
//! request becomes an event by the rules of [`LogRules`] (README, "Access
//! logs").
//!
//! A line is `[vhost] client ident user [time] "request" status bytes
//! ["referrer" "user agent" ["forwarded for"]]`, where the client may be a
//! list of addresses (`10.0.0.2, 85.181.35.98`, quoted or not), as proxies
//! write it.

use super::repeats::Repeats;
use super::user_agent;
use super::{Row, RowReader};
use crate::choice::Choice;
use crate::event::FilterReason;
use crate::event::{Event, RejectReason};
use std::io::{self, BufRead};
use xxhash_rust::xxh3::{xxh3_64, xxh3_128_with_seed};

/// How requests become visitors and events.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRules {
    pub visitor: Visitor,
    /// Robots are counted as filtered unless this is set.
    pub keep_robots: bool,
    /// Requests that are not page views (assets, failed statuses, other
    /// methods) are counted as filtered unless this is set.
    pub keep_assets: bool,
    /// Methods whose successful requests for non-assets are page views.
    pub page_methods: Vec<String>,
    /// Extensions (lower case, without the dot) of static assets.
    pub asset_extensions: Vec<String>,
}

/// Static files that are not pages, by default.
pub const ASSET_EXTENSIONS: &[&str] = &[
    "css", "js", "mjs", "map", "json", "xml", "txt", "png", "jpg", "jpeg", "gif", "webp", "avif",
    "svg", "ico", "bmp", "tif", "tiff", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4", "m4a",
    "ogg", "webm", "wav", "avi", "mov", "mpg", "mpeg", "zip", "gz", "tgz", "bz2", "xz", "7z",
    "rar", "tar", "pdf", "exe", "dmg", "iso", "bin", "rpm", "deb", "apk", "swf",
];

impl Default for LogRules {
    fn default() -> Self {
        LogRules {
            visitor: Visitor::AddressAndAgent,
            keep_robots: false,
            keep_assets: false,
            page_methods: vec!["GET".to_string()],
            asset_extensions: ASSET_EXTENSIONS.iter().map(|e| e.to_string()).collect(),
        }
    }
}

/// Who a request's visitor is (`--visitor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visitor {
    /// The client address and the user agent, hashed: `v` and 16 hex digits.
    AddressAndAgent,
    /// The client address (or host name) as logged.
    Address,
}

impl Choice for Visitor {
    const ALL: &'static [Self] = &[Visitor::AddressAndAgent, Visitor::Address];

    /// The `--visitor` value, as stored in the database.
    fn name(self) -> &'static str {
        match self {
            Visitor::AddressAndAgent => "ip+ua",
            Visitor::Address => "ip",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Visitor::AddressAndAgent => {
                "the client address and the user agent, hashed: v and 16 hex digits"
            }
            Visitor::Address => "the client address (or host name) as logged",
        }
    }
}

impl Visitor {
    pub fn from_name(name: &str) -> Option<Visitor> {
        Visitor::ALL.iter().copied().find(|v| v.name() == name)
    }
}

/// One parsed request line.
#[derive(Debug, Clone, PartialEq)]
pub struct Request<'a> {
    /// Every address before the ident field, in order.
    pub addresses: Vec<&'a str>,
    pub vhost: Option<&'a str>,
    pub user: Option<&'a str>,
    pub ts_ms: i64,
    pub method: Option<&'a str>,
    pub target: Option<&'a str>,
    pub protocol: Option<&'a str>,
    pub status: u16,
    pub bytes: Option<u64>,
    pub referrer: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// A trailing quoted field after the user agent (nginx's default adds
    /// X-Forwarded-For there).
    pub forwarded_for: Option<&'a str>,
}

impl Request<'_> {
    /// The visitor's address: the first public one of the forwarded-for
    /// list and the logged addresses, as Filebeat picks it; the first
    /// address when all are private.
    pub fn client(&self) -> &str {
        let forwarded = self.forwarded_for.map(split_addresses).unwrap_or_default();
        let all: Vec<&str> = forwarded
            .into_iter()
            .chain(self.addresses.iter().copied())
            .collect();
        all.iter()
            .find(|address| !is_private(address))
            .or(all.first())
            .copied()
            .unwrap_or_default()
    }
}

fn split_addresses(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "-")
        .collect()
}

/// Loopback, private, link-local and carrier-grade NAT addresses: what a
/// proxy adds, not where a visitor is. Host names count as public.
pub fn is_private(address: &str) -> bool {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            let [a, b, ..] = ip.octets();
            ip.is_private()
                || ip.is_loopback()
                || ip.is_link_local()
                || ip.is_unspecified()
                || (a == 100 && (64..128).contains(&b))
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            let first = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
        Err(_) => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Bare,
    Bracketed,
    Quoted,
}

/// Splits a line into bare words, `[bracketed]` and `"quoted"` fields (with
/// `\"` inside quotes). An unclosed quote runs to the end of the line (logs
/// cut user agents short).
fn tokens(line: &str) -> Vec<(Kind, &str)> {
    let bytes = line.as_bytes();
    let mut out = Vec::with_capacity(12);
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b' ' | b'\t' => at += 1,
            b'[' => {
                let end = line[at..].find(']').map_or(bytes.len(), |i| at + i);
                out.push((Kind::Bracketed, &line[at + 1..end]));
                at = end + 1;
            }
            b'"' => {
                let mut end = at + 1;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                let end = end.min(bytes.len());
                out.push((Kind::Quoted, &line[at + 1..end]));
                at = end + 1;
            }
            _ => {
                let end = line[at..].find([' ', '\t']).map_or(bytes.len(), |i| at + i);
                out.push((Kind::Bare, &line[at..end]));
                at = end;
            }
        }
    }
    out
}

/// A logged value, or `None` for the `-` or empty that logs write for none.
fn present(text: &str) -> Option<&str> {
    (!text.is_empty() && text != "-").then_some(text)
}

/// Parses one access-log line.
pub fn parse_line<'a>(line: &'a str) -> Result<Request<'a>, String> {
    let fields = tokens(line);
    let Some(time_at) = fields.iter().position(|(kind, _)| *kind == Kind::Bracketed) else {
        return Err("no [time] field".to_string());
    };
    if time_at < 3 {
        return Err("expected client, ident and user before the [time] field".to_string());
    }
    let (head, user) = (&fields[..time_at - 2], fields[time_at - 1].1);
    let listed = head
        .iter()
        .any(|(kind, text)| *kind == Kind::Quoted || text.ends_with(','));
    let (vhost, addresses) = match head {
        _ if listed => (
            None,
            head.iter()
                .flat_map(|(_, text)| split_addresses(text))
                .collect(),
        ),
        [(_, client)] => (None, vec![*client]),
        [(_, vhost), (_, client)] => (Some(*vhost), vec![*client]),
        _ => return Err("expected client, ident and user before the [time] field".to_string()),
    };
    let ts_ms = parse_log_time(fields[time_at].1)?;
    let mut rest = fields[time_at + 1..].iter();
    let request = match rest.next() {
        Some((Kind::Quoted, text)) => *text,
        _ => return Err("no \"request\" after the [time] field".to_string()),
    };
    let status = match rest.next() {
        Some((Kind::Bare, text)) => text
            .parse::<u16>()
            .map_err(|_| format!("status {text:?} is not a number"))?,
        _ => return Err("no status after the request".to_string()),
    };
    let bytes = match rest.next() {
        Some((Kind::Bare, "-")) | None => None,
        Some((Kind::Bare, text)) => Some(
            text.parse::<u64>()
                .map_err(|_| format!("size {text:?} is not a number"))?,
        ),
        Some(_) => return Err("no size after the status".to_string()),
    };
    let mut quoted = rest
        .filter(|(kind, _)| *kind == Kind::Quoted)
        .map(|(_, text)| *text);
    let mut parts = request.split(' ').filter(|p| !p.is_empty());
    let (method, target, protocol) = match (parts.next(), parts.next(), parts.next()) {
        (Some(method), Some(target), protocol)
            if method.bytes().all(|b| b.is_ascii_uppercase()) =>
        {
            (Some(method), Some(target), protocol)
        }
        // "-", "" or a request the server could not read (it answers 400).
        _ => (None, None, None),
    };
    let text = |value: Option<&'a str>| value.and_then(present);
    Ok(Request {
        addresses,
        vhost,
        user: present(user),
        ts_ms,
        method,
        target,
        protocol,
        status,
        bytes,
        referrer: text(quoted.next()),
        user_agent: text(quoted.next()),
        forwarded_for: text(quoted.next()),
    })
}

/// Reads `10/Feb/2012:16:42:07 -0500` into UTC milliseconds.
pub fn parse_log_time(text: &str) -> Result<i64, String> {
    let bad = || format!("cannot read time {text:?}: expected 10/Feb/2012:16:42:07 -0500");
    let (local, offset) = text.split_once(' ').ok_or_else(bad)?;
    let mut parts = local.splitn(4, [':', '/']);
    let (day, month, year, clock) = (
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
    );
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month))
        .ok_or_else(bad)?
        + 1;
    let iso = format!("{year}-{month:02}-{day:0>2}T{clock}{offset}");
    crate::timestamp::parse_timestamp(&iso, crate::timestamp::InputZone::Utc).map_err(|_| bad())
}

/// What a request is, by its status, method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    PageView,
    /// A static file (by extension).
    Asset,
    /// A method that does not fetch a page (POST, HEAD, ...).
    OtherMethod,
    /// A status outside 200..399.
    Failed,
}

impl RequestKind {
    /// The event type such a request is stored as (with `--keep-assets`).
    pub fn event_type(self) -> &'static str {
        match self {
            RequestKind::PageView => "page_view",
            RequestKind::Asset => "asset",
            RequestKind::OtherMethod => "request",
            RequestKind::Failed => "error",
        }
    }
}

impl LogRules {
    /// What a request is: a failed status first, then a method that does
    /// not fetch pages, then a static file; a page view otherwise. A missing
    /// status counts as a success, a missing method as GET.
    pub fn kind(
        &self,
        status: Option<u16>,
        method: Option<&str>,
        path: Option<&str>,
    ) -> RequestKind {
        if status.is_some_and(|s| !(200..400).contains(&s)) {
            RequestKind::Failed
        } else if !self
            .page_methods
            .iter()
            .any(|p| p.eq_ignore_ascii_case(method.unwrap_or("GET")))
        {
            RequestKind::OtherMethod
        } else if path.is_some_and(|p| self.is_asset(p)) {
            RequestKind::Asset
        } else {
            RequestKind::PageView
        }
    }

    /// Why a request is left out of the sessions, if it is: a robot's,
    /// unless `--keep-bots`; one that is not a page view, unless
    /// `--keep-assets`.
    pub fn filter_reason(&self, kind: RequestKind, robot: bool) -> Option<FilterReason> {
        if robot && !self.keep_robots {
            return Some(FilterReason::Robot);
        }
        if self.keep_assets {
            return None;
        }
        match kind {
            RequestKind::PageView => None,
            RequestKind::Asset => Some(FilterReason::Asset),
            RequestKind::OtherMethod => Some(FilterReason::Method),
            RequestKind::Failed => Some(FilterReason::Status),
        }
    }

    /// The event a request becomes, and why it is filtered out, if it is.
    pub fn event(&self, request: &Request<'_>, event_id: String) -> (Event, Option<FilterReason>) {
        let (path, query) = request.target.map_or((None, None), split_target);
        let utm = |name: &str| query.and_then(|q| query_value(q, name));
        // A line whose request could not be read has no method: it failed.
        let kind = match (request.method, request.status) {
            (None, _) => RequestKind::Failed,
            (Some(method), status) => self.kind(Some(status), Some(method), path),
        };
        let event_type = kind.event_type();
        let client = request.client();
        let agent = request.user_agent.unwrap_or_default();
        let user_id = match self.visitor {
            Visitor::Address => client.to_string(),
            Visitor::AddressAndAgent => {
                format!(
                    "v{:016x}",
                    xxh3_64(format!("{client}\u{1f}{agent}").as_bytes())
                )
            }
        };
        let mut properties = serde_json::Map::new();
        let mut put = |key: &str, value: Option<serde_json::Value>| {
            if let Some(value) = value {
                properties.insert(key.to_string(), value);
            }
        };
        put("method", request.method.map(Into::into));
        put("status", Some(request.status.into()));
        put("bytes", request.bytes.map(Into::into));
        put("protocol", request.protocol.map(Into::into));
        put("query", query.map(Into::into));
        put("user_agent", request.user_agent.map(Into::into));
        put("vhost", request.vhost.map(Into::into));
        put("user", request.user.map(Into::into));
        let event = Event {
            event_id,
            user_id,
            ts_ms: request.ts_ms,
            event_type: event_type.to_string(),
            page: path.map(str::to_string),
            referrer: request.referrer.map(str::to_string),
            utm_source: utm("utm_source"),
            utm_medium: utm("utm_medium"),
            utm_campaign: utm("utm_campaign"),
            device: request
                .user_agent
                .map(|ua| user_agent::device_class(ua).to_string()),
            country: None,
            revenue: None,
            properties: Some(serde_json::Value::Object(properties).to_string()),
            session_key: None,
        };
        let robot = request.user_agent.is_some_and(user_agent::is_robot);
        (event, self.filter_reason(kind, robot))
    }

    fn is_asset(&self, path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or_default();
        name.rsplit_once('.').is_some_and(|(_, extension)| {
            self.asset_extensions
                .iter()
                .any(|e| e.eq_ignore_ascii_case(extension))
        })
    }
}

/// The path and query of a request target; an absolute URL
/// (`http://host/path`) gives its path.
fn split_target(target: &str) -> (Option<&str>, Option<&str>) {
    let target = target.split('#').next().unwrap_or_default();
    let target = match target.find("://") {
        Some(i) => target[i + 3..]
            .find('/')
            .map_or("/", |slash| &target[i + 3 + slash..]),
        None => target,
    };
    match target.split_once('?') {
        Some((path, query)) => (Some(path), (!query.is_empty()).then_some(query)),
        None => (Some(target), None),
    }
}

/// A query parameter's value, with `+` and `%XX` decoded.
fn query_value(query: &str, name: &str) -> Option<String> {
    let value = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)?
        .1;
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut bytes = Vec::with_capacity(value.len());
    let raw = value.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        match (
            raw[i],
            raw.get(i + 1).copied().and_then(hex),
            raw.get(i + 2).copied().and_then(hex),
        ) {
            (b'+', _, _) => bytes.push(b' '),
            (b'%', Some(high), Some(low)) => {
                bytes.push(high * 16 + low);
                i += 2;
            }
            (other, _, _) => bytes.push(other),
        }
        i += 1;
    }
    let decoded = String::from_utf8_lossy(&bytes).trim().to_string();
    (!decoded.is_empty()).then_some(decoded)
}

/// Events from request lines: the rules, and the numbering of identical
/// lines that gives every request its own id.
pub struct RequestEvents {
    pub rules: LogRules,
    repeats: Repeats,
}

impl RequestEvents {
    pub fn new(rules: LogRules) -> Self {
        RequestEvents {
            rules,
            repeats: Repeats::default(),
        }
    }

    /// The event of `request`, read from `line`; and why it is filtered
    /// out, if it is.
    pub fn event(&mut self, line: &str, request: &Request<'_>) -> (Event, Option<FilterReason>) {
        let line_hash = xxh3_128_with_seed(line.as_bytes(), 0);
        let occurrence = self.repeats.occurrence(line_hash, request.ts_ms);
        let id = format!(
            "l{:032x}",
            xxh3_128_with_seed(line.as_bytes(), u64::from(occurrence))
        );
        self.rules.event(request, id)
    }
}

/// Reads an access log, a request per line. Blank lines and `#` comments
/// are skipped.
pub struct AccessLogReader<R> {
    lines: super::Lines<R>,
    events: RequestEvents,
}

impl<R: BufRead> AccessLogReader<R> {
    pub fn new(input: R, rules: LogRules) -> Self {
        AccessLogReader {
            lines: super::Lines::new(input),
            events: RequestEvents::new(rules),
        }
    }

    /// Lines longer than `max` are rejected (`record_too_long`), not read.
    pub fn with_max_record_size(mut self, max: super::MaxRecordSize) -> Self {
        self.lines.set_max_record_size(max);
        self
    }
}

impl<R: BufRead> RowReader for AccessLogReader<R> {
    fn next_row(&mut self) -> io::Result<Option<Row<'_>>> {
        loop {
            match self.lines.next()? {
                super::Line::End => return Ok(None),
                super::Line::TooLong => {
                    let max = self.lines.max_record_size().bytes();
                    return Ok(Some(Row {
                        line: self.lines.number,
                        raw: &self.lines.text,
                        result: Err(RejectReason::RecordTooLong { max }),
                        filtered: None,
                    }));
                }
                super::Line::Read => {}
            }
            let first = self.lines.text.iter().find(|b| !b.is_ascii_whitespace());
            if matches!(first, None | Some(b'#')) {
                continue;
            }
            let (result, filtered) = match std::str::from_utf8(&self.lines.text) {
                Err(_) => (Err(RejectReason::InvalidUtf8), None),
                Ok(text) => match parse_line(text) {
                    Err(why) => (Err(RejectReason::BadLogLine(why)), None),
                    Ok(request) => {
                        let (event, filtered) = self.events.event(text, &request);
                        (Ok(event), filtered)
                    }
                },
            };
            return Ok(Some(Row {
                line: self.lines.number,
                raw: &self.lines.text,
                result,
                filtered,
            }));
        }
    }
}

/// Whether a line looks like an access log (for format detection).
pub fn looks_like_access_log(line: &str) -> bool {
    parse_line(line).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_combined_vhost_and_proxy_forms() -> Result<(), String> {
        let common = parse_line(
            r#"1.2.3.4 - theuser [10/Feb/2012:16:42:07 -0500] "GET / HTTP/1.0" 301 368"#,
        )?;
        assert_eq!(common.addresses, vec!["1.2.3.4"]);
        assert_eq!(common.user, Some("theuser"));
        assert_eq!(
            common.ts_ms,
            crate::timestamp::parse_timestamp("2012-02-10T21:42:07Z", Default::default())?
        );
        assert_eq!(
            (common.method, common.target, common.status, common.bytes),
            (Some("GET"), Some("/"), 301, Some(368))
        );
        assert_eq!(common.user_agent, None);

        let vhost = parse_line(
            r#"www.example.com 1.2.3.4 - theuser [10/Feb/2012:16:42:07 -0500] "GET / HTTP/1.0" 301 368 "-" "Mozilla/5.0""#,
        )?;
        assert_eq!(
            (vhost.vhost, vhost.client()),
            (Some("www.example.com"), "1.2.3.4")
        );
        assert_eq!(
            (vhost.referrer, vhost.user_agent),
            (None, Some("Mozilla/5.0"))
        );

        let listed = parse_line(
            r#""10.5.102.222, 199.96.1.1, 204.246.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET /a?q=1 HTTP/1.1" 200 25507 "-" "CloudFront""#,
        )?;
        assert_eq!(
            listed.addresses,
            vec!["10.5.102.222", "199.96.1.1", "204.246.1.1", "10.2.1.185"]
        );
        assert_eq!(listed.client(), "199.96.1.1");
        let private = parse_line(
            r#"10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571"#,
        )?;
        assert_eq!(private.client(), "10.0.0.2");
        let forwarded = parse_line(
            r#"172.17.0.1 - - [29/May/2017:19:02:48 +0000] "GET / HTTP/1.1" 200 1 "-" "UA" "85.1.2.3, 10.0.0.1""#,
        )?;
        assert_eq!(forwarded.client(), "85.1.2.3");
        Ok(())
    }

    #[test]
    fn odd_but_valid_lines() -> Result<(), String> {
        let empty = parse_line(r#"127.0.0.1 - - [12/Apr/2018:09:48:40 +0200] "" 400 0 "-" "-""#)?;
        assert_eq!(
            (empty.method, empty.target, empty.status),
            (None, None, 400)
        );
        let dash = parse_line(r#"::1 - - [26/Dec/2016:16:16:48 +0200] "-" 408 -"#)?;
        assert_eq!((dash.client(), dash.bytes), ("::1", None));
        let truncated = parse_line(
            r#"1.1.1.1 - - [17/May/2015:10:05:03 +0000] "GET /x HTTP/1.1" 200 3 "-" "Mozilla/5.0 (cut"#,
        )?;
        assert_eq!(truncated.user_agent, Some("Mozilla/5.0 (cut"));
        let escaped = parse_line(
            r#"1.1.1.1 - - [17/May/2015:10:05:03 +0000] "GET /x HTTP/1.1" 200 3 "-" "say \"hi\"" "#,
        )?;
        assert_eq!(escaped.user_agent, Some(r#"say \"hi\""#));
        Ok(())
    }

    #[test]
    fn malformed_lines_say_why() {
        for line in [
            r#"192.168.202.254 [20/Jul/2009:22:59:29 +0000] "GET /vmkboot.gz HTTP/1.0" 404 46210 "-" "gPXE/0.9.7""#,
            r#"1.1.1.1 - - [40/Foo/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 3"#,
            r#"1.1.1.1 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" OK 3"#,
            "just some text",
        ] {
            assert!(parse_line(line).is_err(), "{line}");
        }
    }

    #[test]
    fn requests_become_page_views_assets_errors_and_requests() -> Result<(), String> {
        let rules = LogRules::default();
        let kind = |line: &str| -> Result<String, String> {
            Ok(rules.event(&parse_line(line)?, String::new()).0.event_type)
        };
        let line = |request: &str, status: u16| {
            format!(r#"1.1.1.1 - - [17/May/2015:10:05:03 +0000] "{request}" {status} 3"#)
        };
        assert_eq!(
            kind(&line("GET /pricing?utm_source=news HTTP/1.1", 200))?,
            "page_view"
        );
        assert_eq!(kind(&line("GET /img/logo.PNG HTTP/1.1", 200))?, "asset");
        assert_eq!(kind(&line("POST /form HTTP/1.1", 302))?, "request");
        assert_eq!(kind(&line("GET /missing HTTP/1.1", 404))?, "error");
        assert_eq!(kind(&line("GET / HTTP/1.1", 304))?, "page_view");
        assert_eq!(kind(&line("-", 408))?, "error");
        Ok(())
    }

    #[test]
    fn the_event_of_a_request() -> Result<(), String> {
        let request = parse_line(
            r#"85.1.2.3 - - [17/May/2015:10:05:03 +0000] "GET http://example.com/a/b?utm_source=news%20letter&utm_medium=email&x=1 HTTP/1.1" 200 5 "https://www.google.com/" "Mozilla/5.0 (iPhone) Mobile""#,
        )?;
        let (event, filtered) = LogRules::default().event(&request, "id".into());
        assert_eq!(filtered, None);
        assert_eq!(event.page.as_deref(), Some("/a/b"));
        assert_eq!(event.utm_source.as_deref(), Some("news letter"));
        assert_eq!(event.utm_medium.as_deref(), Some("email"));
        assert_eq!(event.referrer.as_deref(), Some("https://www.google.com/"));
        assert_eq!(event.device.as_deref(), Some("mobile"));
        assert!(event.user_id.starts_with('v') && event.user_id.len() == 17);
        let properties: serde_json::Value =
            serde_json::from_str(event.properties.as_deref().unwrap_or("{}"))
                .map_err(|e| e.to_string())?;
        assert_eq!(properties["status"], 200);
        assert_eq!(
            properties["query"],
            "utm_source=news%20letter&utm_medium=email&x=1"
        );
        let by_address = LogRules {
            visitor: Visitor::Address,
            ..LogRules::default()
        };
        assert_eq!(
            by_address.event(&request, "id".into()).0.user_id,
            "85.1.2.3"
        );
        Ok(())
    }

    #[test]
    fn identical_lines_get_distinct_ids_that_repeat_on_reimport() {
        let text = "1.1.1.1 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 3\n".repeat(2);
        let ids = |input: &str| -> Vec<String> {
            let mut reader = AccessLogReader::new(input.as_bytes(), LogRules::default());
            let mut ids = Vec::new();
            while let Some(row) = reader.next_row().expect("in-memory read") {
                ids.push(row.result.expect("valid").event_id);
            }
            ids
        };
        let first = ids(&text);
        assert_eq!(first.len(), 2);
        assert_ne!(first[0], first[1]);
        assert_eq!(ids(&text), first);
    }

    #[test]
    fn private_addresses() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_private(private), "{private}");
        }
        for public in ["85.181.35.98", "2a03::1", "monitoring-server", "8.8.8.8"] {
            assert!(!is_private(public), "{public}");
        }
    }
}
