//! JSON access logs: nginx with a JSON log format (the keys Matomo's
//! importer reads: ip, host, path, status, referrer, user_agent, length,
//! date), Caddy's and Traefik's JSON access logs. Each line becomes a
//! [`Request`], then an event by the same rules as text logs.

use super::access_log::{LogRules, Request, RequestEvents};
use super::{Row, RowReader};
use crate::event::RejectReason;
use crate::timestamp::{InputZone, TimeFormat, parse_epoch_number, parse_timestamp, parse_with};
use serde_json::{Map, Value};
use std::io::{self, BufRead};

/// Which server wrote the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    NginxJson,
    Caddy,
    Traefik,
}

impl Flavor {
    /// The flavor of a log whose first line is `object`, if it is one.
    pub fn of(object: &Map<String, Value>) -> Option<Flavor> {
        if object
            .get("request")
            .is_some_and(|r| r.get("remote_ip").is_some() || r.get("client_ip").is_some())
        {
            Some(Flavor::Caddy)
        } else if object.contains_key("ClientHost") && object.contains_key("RequestPath") {
            Some(Flavor::Traefik)
        } else if ["ip", "path", "status", "date"]
            .iter()
            .all(|k| object.contains_key(*k))
        {
            Some(Flavor::NginxJson)
        } else {
            None
        }
    }
}

/// `value` as text: strings as they are, numbers as the text they are
/// written with (serde_json's `arbitrary_precision` keeps it).
fn text(value: Option<&Value>) -> Option<&str> {
    match value? {
        Value::String(s) => Some(s.as_str()),
        Value::Number(n) => Some(n.as_str()),
        _ => None,
    }
}

/// A whole number (a status, a size), from a JSON number or a string; a
/// fraction, a minus sign or too many digits is none, never a rounded guess.
fn number(value: Option<&Value>) -> Option<u64> {
    text(value)?.parse().ok()
}

/// An epoch time in seconds given as a JSON number, read from its digits
/// (a double would round `…474.9999999999` up into the next second); the
/// exponent form, which has no plain digits, through a double.
fn epoch_seconds(value: Option<&Value>) -> Option<Result<i64, String>> {
    let Some(Value::Number(n)) = value else {
        return None;
    };
    let digits = n.as_str();
    Some(if digits.contains(['e', 'E']) {
        parse_epoch_number(n.as_f64()?)
    } else {
        parse_with(digits, &TimeFormat::EpochSeconds, InputZone::Utc)
    })
}

fn first_header<'a>(headers: Option<&'a Value>, name: &str) -> Option<&'a str> {
    text(headers?.get(name)?.get(0))
}

/// The request of one line of a JSON access log.
pub fn request<'a>(flavor: Flavor, object: &'a Map<String, Value>) -> Result<Request<'a>, String> {
    let time_error = |why: String| format!("cannot read the time: {why}");
    let status = |value: Option<&Value>| -> Result<u16, String> {
        number(value)
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| "no numeric status".to_string())
    };
    let present = |value: Option<&'a str>| value.filter(|v| !v.is_empty() && *v != "-");
    match flavor {
        Flavor::NginxJson => {
            let date = text(object.get("date")).ok_or("no date")?;
            let (path, method) = (
                text(object.get("path")),
                text(object.get("method")).or(Some("GET")),
            );
            Ok(Request {
                addresses: text(object.get("ip")).into_iter().collect(),
                vhost: text(object.get("host")),
                user: present(text(object.get("userid"))),
                ts_ms: parse_timestamp(date, InputZone::Utc).map_err(time_error)?,
                method,
                target: path,
                protocol: None,
                status: status(object.get("status"))?,
                bytes: number(object.get("length")),
                referrer: present(text(object.get("referrer"))),
                user_agent: present(text(object.get("user_agent"))),
                forwarded_for: None,
            })
        }
        Flavor::Caddy => {
            let request = object
                .get("request")
                .and_then(Value::as_object)
                .ok_or("no request object")?;
            let headers = request.get("headers");
            let ts_ms = epoch_seconds(object.get("ts")).ok_or("no ts")?;
            let client = text(request.get("client_ip")).or_else(|| text(request.get("remote_ip")));
            Ok(Request {
                addresses: client.into_iter().collect(),
                vhost: text(request.get("host")),
                user: present(text(object.get("user_id"))),
                ts_ms: ts_ms.map_err(time_error)?,
                method: text(request.get("method")),
                target: text(request.get("uri")),
                protocol: text(request.get("proto")),
                status: status(object.get("status"))?,
                bytes: number(object.get("size")),
                referrer: present(first_header(headers, "Referer")),
                user_agent: present(first_header(headers, "User-Agent")),
                forwarded_for: present(first_header(headers, "X-Forwarded-For")),
            })
        }
        Flavor::Traefik => {
            let start = text(object.get("StartUTC"))
                .or_else(|| text(object.get("StartLocal")))
                .ok_or("no StartUTC")?;
            Ok(Request {
                addresses: text(object.get("ClientHost")).into_iter().collect(),
                vhost: text(object.get("RequestHost")),
                user: present(text(object.get("ClientUsername"))),
                ts_ms: parse_timestamp(start, InputZone::Utc).map_err(time_error)?,
                method: text(object.get("RequestMethod")),
                target: text(object.get("RequestPath")),
                protocol: text(object.get("RequestProtocol")),
                status: status(object.get("DownstreamStatus"))?,
                bytes: number(object.get("DownstreamContentSize")),
                referrer: present(text(object.get("request_Referer"))),
                user_agent: present(text(object.get("request_User-Agent"))),
                forwarded_for: present(text(object.get("request_X-Forwarded-For"))),
            })
        }
    }
}

/// Reads a JSON access log: one object per line, of one flavor.
pub struct AccessJsonReader<R> {
    lines: super::Lines<R>,
    flavor: Flavor,
    events: RequestEvents,
}

impl<R: BufRead> AccessJsonReader<R> {
    pub fn new(input: R, flavor: Flavor, rules: LogRules) -> Self {
        AccessJsonReader {
            lines: super::Lines::new(input),
            flavor,
            events: RequestEvents::new(rules),
        }
    }

    /// Lines longer than `max` are rejected (`record_too_long`), not read.
    pub fn with_max_record_size(mut self, max: super::MaxRecordSize) -> Self {
        self.lines.set_max_record_size(max);
        self
    }
}

impl<R: BufRead> RowReader for AccessJsonReader<R> {
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
            if self.lines.text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let (result, filtered) = match std::str::from_utf8(&self.lines.text) {
                Err(_) => (Err(RejectReason::InvalidUtf8), None),
                Ok(text) => match serde_json::from_str::<Value>(text) {
                    Err(error) => (Err(RejectReason::BadJson(error.to_string())), None),
                    Ok(Value::Object(object)) => match request(self.flavor, &object) {
                        Err(why) => (Err(RejectReason::BadLogLine(why)), None),
                        Ok(request) => {
                            let (event, filtered) = self.events.event(text, &request);
                            (Ok(event), filtered)
                        }
                    },
                    Ok(_) => (Err(RejectReason::NotAnObject), None),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> Map<String, Value> {
        match serde_json::from_str(text) {
            Ok(Value::Object(object)) => object,
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn the_three_flavors() -> Result<(), String> {
        let caddy = object(
            r#"{"ts":1703373474.8155608,"request":{"remote_ip":"1.2.3.4","method":"GET","host":"example.com","uri":"/beta/","headers":{"User-Agent":["Firefox"]}},"status":200,"size":3609}"#,
        );
        assert_eq!(Flavor::of(&caddy), Some(Flavor::Caddy));
        let r = request(Flavor::Caddy, &caddy)?;
        assert_eq!(
            (r.client(), r.ts_ms, r.target, r.status, r.user_agent),
            (
                "1.2.3.4",
                1_703_373_474_815,
                Some("/beta/"),
                200,
                Some("Firefox")
            )
        );

        let traefik = object(
            r#"{"ClientHost":"1.2.3.4","RequestMethod":"GET","RequestPath":"/my/app?id=1","DownstreamStatus":"200","StartUTC":"2023-08-11T11:41:25.5Z","request_User-Agent":"Prometheus/2.40.5"}"#,
        );
        assert_eq!(Flavor::of(&traefik), Some(Flavor::Traefik));
        let r = request(Flavor::Traefik, &traefik)?;
        assert_eq!((r.status, r.method), (200, Some("GET")));

        let nginx = object(
            r#"{"ip":"1.2.3.4","host":"h","path":"/","status":"200","referrer":"-","length":192,"date":"2013-10-10T16:52:00+02:00"}"#,
        );
        assert_eq!(Flavor::of(&nginx), Some(Flavor::NginxJson));
        let r = request(Flavor::NginxJson, &nginx)?;
        assert_eq!(
            (r.ts_ms, r.referrer, r.bytes),
            (
                parse_timestamp("2013-10-10T14:52:00Z", InputZone::Utc)?,
                None,
                Some(192)
            )
        );

        assert_eq!(
            Flavor::of(&object(r#"{"user_id":"u","ts":1,"type":"a"}"#)),
            None
        );
        Ok(())
    }
}
