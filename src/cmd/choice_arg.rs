//! Offers an engine's [`Choice`] values as an option's possible values,
//! with their help, and parses what the user typed into one.

use crate::choice::Choice;
use clap::builder::{PossibleValue, TypedValueParser};
use std::marker::PhantomData;

/// The value parser for an option whose value is a `T`.
pub fn choice<T: Choice>() -> ChoiceParser<T> {
    ChoiceParser(PhantomData)
}

#[derive(Clone)]
pub struct ChoiceParser<T>(PhantomData<T>);

impl<T: Choice> TypedValueParser for ChoiceParser<T> {
    type Value = T;

    fn parse_ref(
        &self,
        command: &clap::Command,
        argument: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let names = clap::builder::PossibleValuesParser::new(
            T::ALL
                .iter()
                .map(|v| PossibleValue::new(v.name()).help(v.help())),
        );
        let name = names.parse_ref(command, argument, value)?;
        Ok(T::ALL
            .iter()
            .copied()
            .find(|v| v.name() == name)
            .expect("clap accepted one of the names given to it"))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            T::ALL
                .iter()
                .map(|v| PossibleValue::new(v.name()).help(v.help())),
        ))
    }
}
