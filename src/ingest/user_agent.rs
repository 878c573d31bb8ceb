//! What a user-agent string says: whether it is a robot (crawlers,
//! monitors, feed readers, scripted HTTP clients), and the device class of a
//! browser. Simple documented substring rules (README, "Access logs"), not a
//! full user-agent database: they catch the robots that dominate real logs.

/// Lower-case substrings that mark a robot. "bot" alone catches most
/// crawlers (Googlebot, bingbot, AhrefsBot, ...).
pub const ROBOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "mediapartners",
    "facebookexternalhit",
    "bingpreview",
    "feedfetcher",
    "feedburner",
    "feedly",
    "newsblur",
    "rss",
    "monitor",
    "pingdom",
    "uptime",
    "statuscake",
    "nagios",
    "check_http",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "java/",
    "libwww-perl",
    "okhttp",
    "apache-httpclient",
    "headlesschrome",
    "phantomjs",
    "scrapy",
    "ia_archiver",
    "lighthouse",
    "gtmetrix",
];

/// Whether the user agent is a robot. An empty or missing user agent is not
/// taken for one: common-format logs have none at all.
pub fn is_robot(user_agent: &str) -> bool {
    let lower = user_agent.to_ascii_lowercase();
    ROBOT_MARKERS.iter().any(|marker| lower.contains(marker))
}

/// "mobile", "tablet" or "desktop", from the usual tokens.
pub fn device_class(user_agent: &str) -> &'static str {
    let has = |token: &str| user_agent.contains(token);
    if has("iPad") || has("Tablet") || (has("Android") && !has("Mobile")) {
        "tablet"
    } else if has("Mobi") || has("iPhone") || has("Android") {
        "mobile"
    } else {
        "desktop"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_and_browsers() {
        for robot in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0)",
            "UptimeRobot/2.0",
            "curl/7.68.0",
            "Feedly/1.0 (+http://www.feedly.com/fetcher.html)",
            "Tiny Tiny RSS/1.15.3",
            "python-requests/2.28.1",
        ] {
            assert!(is_robot(robot), "{robot}");
        }
        for browser in [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
            "",
        ] {
            assert!(!is_robot(browser), "{browser}");
        }
    }

    #[test]
    fn device_classes() {
        assert_eq!(
            device_class("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"),
            "mobile"
        );
        assert_eq!(
            device_class("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36"),
            "mobile"
        );
        assert_eq!(
            device_class("Mozilla/5.0 (Linux; Android 13; SM-X700) Safari/537.36"),
            "tablet"
        );
        assert_eq!(
            device_class("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)"),
            "tablet"
        );
        assert_eq!(
            device_class("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"),
            "desktop"
        );
    }
}
