//! The decoded report an [`Event::Status`](super::Event::Status) or
//! [`Event::Feature`](super::Event::Feature) carries: the typed model, shared by every
//! listener, and the unit system it is presented in. It becomes JSON only when somebody
//! serialises it: building JSON for every status on the bus would cost more than decoding
//! it, and most listeners only read a few fields.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::protocol::{Feature, Status, UnitSystem};

/// A decoded model (a [`Status`] or a [`Feature`]) and the unit system its values are
/// presented in. It dereferences to the model, so `report.dhw_temperature` reads the
/// field; it serialises with the protocol's field names and the values decoded in
/// [`unit`](Self::unit) (tri-state unknown as `null`).
pub struct Report<T> {
    model: Arc<T>,
    unit: UnitSystem,
}

impl<T> Report<T> {
    /// A report of `model`, presented in `unit`.
    pub fn new(model: impl Into<Arc<T>>, unit: UnitSystem) -> Self {
        Self {
            model: model.into(),
            unit,
        }
    }

    /// The unit system the values are presented in.
    pub fn unit(&self) -> UnitSystem {
        self.unit
    }

    /// The shared model, to keep without copying it.
    pub fn shared(&self) -> &Arc<T> {
        &self.model
    }
}

impl Report<Status> {
    /// The report as a JSON object (the shape [`Serialize`] writes).
    pub fn to_json(&self) -> serde_json::Value {
        json_of(self)
    }
}

impl Report<Feature> {
    /// The report as a JSON object (the shape [`Serialize`] writes).
    pub fn to_json(&self) -> serde_json::Value {
        json_of(self)
    }
}

fn json_of(report: &impl Serialize) -> serde_json::Value {
    // A view of plain numbers, strings and booleans always serialises.
    serde_json::to_value(report).unwrap_or(serde_json::Value::Null)
}

impl<T> Clone for Report<T> {
    fn clone(&self) -> Self {
        Self {
            model: Arc::clone(&self.model),
            unit: self.unit,
        }
    }
}

impl<T> Deref for Report<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.model
    }
}

impl<T: PartialEq> PartialEq for Report<T> {
    fn eq(&self, other: &Self) -> bool {
        self.unit == other.unit && *self.model == *other.model
    }
}

impl<T> fmt::Debug for Report<T> {
    /// Short on purpose: a status has some hundred fields, and events are logged with `?`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Report<{}>({:?})", short_type_name::<T>(), self.unit)
    }
}

fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

impl Serialize for Report<Status> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.model.view(self.unit).serialize(serializer)
    }
}

impl Serialize for Report<Feature> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.model.view(self.unit).serialize(serializer)
    }
}
