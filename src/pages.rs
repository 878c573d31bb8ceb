//! Page views of one session by page, with the time on page: what the
//! `pages` report adds up (`page_stats`). A page view is timed by the next
//! event of its session, whatever its type; the session's last page view
//! has no next event and stays untimed, not 0.

/// One session's views of one page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageTotals {
    pub views: i64,
    pub timed_views: i64,
    pub time_ms: i64,
}

/// A session's pages, filled one event at a time in event order. Sessions
/// see a handful of pages, so a list beats a map. `""` stands for a page
/// view without a page (summary keys cannot be NULL).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionPages {
    pages: Vec<(String, PageTotals)>,
    /// The previous event, when it was a page view: its page's index, time.
    pending: Option<(usize, i64)>,
}

impl SessionPages {
    pub fn add(&mut self, is_page_view: bool, page: Option<&str>, ts_ms: i64) {
        if let Some((index, viewed_ms)) = self.pending.take() {
            let totals = &mut self.pages[index].1;
            totals.timed_views += 1;
            totals.time_ms += ts_ms - viewed_ms;
        }
        if !is_page_view {
            return;
        }
        let page = page.unwrap_or("");
        let index = match self.pages.iter().position(|(p, _)| p == page) {
            Some(index) => index,
            None => {
                self.pages.push((page.to_string(), PageTotals::default()));
                self.pages.len() - 1
            }
        };
        self.pages[index].1.views += 1;
        self.pending = Some((index, ts_ms));
    }

    /// Each page viewed, with its totals.
    pub fn pages(&self) -> &[(String, PageTotals)] {
        &self.pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_view_is_timed_by_the_next_event_and_the_last_is_not() {
        let mut pages = SessionPages::default();
        pages.add(true, Some("/a"), 0);
        pages.add(true, Some("/b"), 30_000);
        pages.add(false, Some("/b"), 45_000); // a click on /b
        pages.add(true, Some("/a"), 50_000);
        pages.add(true, None, 60_000);
        assert_eq!(
            pages.pages(),
            &[
                (
                    "/a".to_string(),
                    PageTotals {
                        views: 2,
                        timed_views: 2,
                        time_ms: 30_000 + 10_000
                    }
                ),
                (
                    "/b".to_string(),
                    PageTotals {
                        views: 1,
                        timed_views: 1,
                        time_ms: 15_000
                    }
                ),
                (
                    String::new(),
                    PageTotals {
                        views: 1,
                        timed_views: 0,
                        time_ms: 0
                    }
                ),
            ]
        );
    }
}
