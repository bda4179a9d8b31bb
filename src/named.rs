//! Enums chosen by name (on the command line, in config files): one table of names per enum,
//! so the library needs no argument parser and every front end lists the same choices.

/// An option whose values are named: every variant with its name and a one-line description.
pub trait Named: Copy + PartialEq + Send + Sync + 'static {
    const VARIANTS: &'static [(Self, &'static str, &'static str)];

    /// The variant's name (`VARIANTS`' second field).
    fn key(self) -> &'static str {
        Self::VARIANTS
            .iter()
            .find(|(v, _, _)| *v == self)
            .map_or("", |(_, name, _)| name)
    }

    /// The variant of that name (case-insensitive), if any.
    fn from_key(s: &str) -> Option<Self> {
        Self::VARIANTS
            .iter()
            .find(|(_, name, _)| name.eq_ignore_ascii_case(s.trim()))
            .map(|(v, _, _)| *v)
    }
}

/// Serde by name (`#[serde(with = "crate::named::by_key")]`): a named option is written
/// and read as its key, as the command line takes it.
pub mod by_key {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    use super::Named;

    pub fn serialize<T: Named, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.key())
    }

    pub fn deserialize<'de, T: Named, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        let name = String::deserialize(d)?;
        T::from_key(&name).ok_or_else(|| {
            let known: Vec<&str> = T::VARIANTS.iter().map(|v| v.1).collect();
            D::Error::custom(format!(
                "unknown name {name:?}; one of {}",
                known.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Named;
    use crate::bls::{EngineKind, Objective};
    use crate::detrend::TrendMethod;
    use crate::io::FluxColumn;
    use crate::model::ModelDevice;

    fn round_trips<T: Named + std::fmt::Debug>() {
        assert!(!T::VARIANTS.is_empty());
        for &(v, name, help) in T::VARIANTS {
            assert!(!name.is_empty() && !help.is_empty(), "{v:?}");
            assert_eq!(v.key(), name);
            assert_eq!(T::from_key(name), Some(v));
            assert_eq!(T::from_key(&name.to_ascii_uppercase()), Some(v));
        }
        assert_eq!(T::from_key("no-such-choice"), None);
    }

    #[test]
    fn every_named_option_round_trips_by_name() {
        round_trips::<EngineKind>();
        round_trips::<Objective>();
        round_trips::<TrendMethod>();
        round_trips::<FluxColumn>();
        round_trips::<ModelDevice>();
        assert_eq!(EngineKind::from_key("gpu"), Some(EngineKind::Gpu));
        assert_eq!(Objective::Snr.key(), "snr");
    }
}
