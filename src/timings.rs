//! Where an import's time goes: named phases with their accumulated wall
//! time, printed by `import --timings` so every optimisation is aimed.

use std::time::{Duration, Instant};

/// Accumulated time per phase, in the order phases first appear.
#[derive(Debug, Default)]
pub struct Timings {
    phases: Vec<(&'static str, Duration)>,
}

impl Timings {
    /// Runs `work`, adding its time to `phase`.
    pub fn time<T>(&mut self, phase: &'static str, work: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let result = work();
        self.add(phase, started.elapsed());
        result
    }

    pub fn add(&mut self, phase: &'static str, elapsed: Duration) {
        match self.phases.iter_mut().find(|(name, _)| *name == phase) {
            Some((_, total)) => *total += elapsed,
            None => self.phases.push((phase, elapsed)),
        }
    }

    pub fn phases(&self) -> &[(&'static str, Duration)] {
        &self.phases
    }

    /// One line per phase, with its share of `total`.
    pub fn report(&self, total: Duration) -> String {
        let mut lines = Vec::new();
        let width = self
            .phases
            .iter()
            .map(|(name, _)| name.len())
            .max()
            .unwrap_or(0);
        for (name, elapsed) in &self.phases {
            let share = 100.0 * elapsed.as_secs_f64() / total.as_secs_f64().max(f64::EPSILON);
            lines.push(format!(
                "  {name:width$}  {:8.3} s  {share:5.1}%",
                elapsed.as_secs_f64()
            ));
        }
        let accounted: Duration = self.phases.iter().map(|(_, d)| *d).sum();
        lines.push(format!(
            "  {:width$}  {:8.3} s  (total {:.3} s)",
            "other",
            total.saturating_sub(accounted).as_secs_f64(),
            total.as_secs_f64()
        ));
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_accumulate_in_first_seen_order() {
        let mut timings = Timings::default();
        timings.add("parse", Duration::from_millis(5));
        timings.add("insert", Duration::from_millis(7));
        timings.add("parse", Duration::from_millis(5));
        let phases: Vec<(&str, u128)> = timings
            .phases()
            .iter()
            .map(|(n, d)| (*n, d.as_millis()))
            .collect();
        assert_eq!(phases, vec![("parse", 10), ("insert", 7)]);
        let report = timings.report(Duration::from_millis(20));
        assert!(
            report.contains("parse") && report.contains("50.0%") && report.contains("other"),
            "{report}"
        );
    }
}
