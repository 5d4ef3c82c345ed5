//! Rich presence (RPID, RFC 4480): what a person is doing, feeling and where, and the
//! characteristics of services and devices.

use crate::datetime::DateTime;
use crate::model::{Note, OtherAttribute, Raw};

/// The attributes most RPID elements share: `id`, and `from`/`until` bounding when the
/// information holds (RFC 4480 §3.1), plus any other attribute (the schema's `anyAttribute`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Meta {
    /// `id`: lets a pidf-diff or a composer address this element.
    pub id: Option<String>,
    /// `from`: when the information starts to hold.
    pub from: Option<DateTime>,
    /// `until`: when it stops holding.
    pub until: Option<DateTime>,
    /// Other attributes, kept as read.
    pub attributes: Vec<OtherAttribute>,
}

impl Meta {
    /// Whether the element is in effect at `now`: `from <= now < until`, missing bounds open.
    pub fn in_effect(&self, now: &DateTime) -> bool {
        self.from.as_ref().is_none_or(|f| f.unix_nanos() <= now.unix_nanos())
            && self.until.as_ref().is_none_or(|u| now.unix_nanos() < u.unix_nanos())
    }
}

/// An RPID element holding notes and a list of values (`<rpid:activities>`, `<rpid:mood>`...).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Values<T> {
    /// `id`, `from`, `until`, other attributes.
    pub meta: Meta,
    /// Notes.
    pub notes: Vec<Note>,
    /// The values, in order.
    pub values: Vec<T>,
}

impl<T> Default for Values<T> {
    fn default() -> Self {
        Self { meta: Meta::default(), notes: Vec::new(), values: Vec::new() }
    }
}

impl<T> Values<T> {
    /// An element with these values.
    pub fn new(values: impl IntoIterator<Item = T>) -> Self {
        Self { values: values.into_iter().collect(), ..Self::default() }
    }
}

/// `<rpid:activities>`.
pub type Activities = Values<Activity>;
/// `<rpid:mood>`.
pub type Mood = Values<MoodValue>;
/// `<rpid:place-type>`.
pub type PlaceType = Values<PlaceTypeValue>;
/// `<rpid:privacy>`.
pub type Privacy = Values<PrivacyValue>;
/// `<rpid:relationship>` (the schema gives it no attributes).
pub type Relationship = Values<RelationshipValue>;
/// `<rpid:service-class>` (the schema gives it no attributes).
pub type ServiceClass = Values<ServiceClassValue>;
/// `<rpid:sphere>` (the schema gives it no notes).
pub type Sphere = Values<SphereValue>;

/// How the reader and writer treat the values of a [`Values`] element.
pub(crate) trait Value: Sized {
    /// The value named by an empty element of this local name in the RPID namespace.
    fn from_name(local: &str) -> Option<Self>;
    /// The local name of an empty-element value.
    fn name(&self) -> Option<&'static str>;
    /// `<other>` text, where the schema allows it.
    fn other(note: Note) -> Option<Self>;
    /// The `<other>` note of this value.
    fn as_other(&self) -> Option<&Note>;
    /// Free text content, where allowed (sphere).
    fn text(_: &str) -> Option<Self> {
        None
    }
    /// The free text of this value.
    fn as_text(&self) -> Option<&str> {
        None
    }
    /// An extension element.
    fn raw(r: Raw) -> Self;
    /// The extension element of this value.
    fn as_raw(&self) -> Option<&Raw>;
}

macro_rules! values {
    (
        $(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal,)* }
        other: yes
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $var,)*
            /// `<other>`: free text with an optional language.
            Other(Note),
            /// An extension element, verbatim.
            Ext(Raw),
        }
        values!(@impl $name { $($var = $s,)* });
        impl $name {
            #[allow(clippy::wildcard_enum_match_arm, clippy::unnecessary_wraps)]
            fn other_note(note: Note) -> Option<Self> {
                Some(Self::Other(note))
            }
            #[allow(clippy::wildcard_enum_match_arm)]
            const fn other_of(&self) -> Option<&Note> {
                match self {
                    Self::Other(n) => Some(n),
                    _ => None,
                }
            }
        }
    };
    (
        $(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal,)* }
        other: no
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $var,)*
            /// An extension element, verbatim.
            Ext(Raw),
        }
        values!(@impl $name { $($var = $s,)* });
        impl $name {
            #[allow(clippy::unnecessary_wraps)]
            fn other_note(_: Note) -> Option<Self> {
                None
            }
            #[allow(clippy::unused_self)]
            const fn other_of(&self) -> Option<&Note> {
                None
            }
        }
    };
    (@impl $name:ident { $($var:ident = $s:literal,)* }) => {
        impl $name {
            /// The local name of an empty-element value (`None` for text and extensions).
            #[allow(clippy::wildcard_enum_match_arm)]
            pub const fn as_str(&self) -> Option<&'static str> {
                match self {
                    $(Self::$var => Some($s),)*
                    _ => None,
                }
            }
        }
        impl Value for $name {
            fn from_name(local: &str) -> Option<Self> {
                match local {
                    $($s => Some(Self::$var),)*
                    _ => None,
                }
            }
            fn name(&self) -> Option<&'static str> {
                self.as_str()
            }
            fn other(note: Note) -> Option<Self> {
                Self::other_note(note)
            }
            fn as_other(&self) -> Option<&Note> {
                self.other_of()
            }
            fn raw(r: Raw) -> Self {
                Self::Ext(r)
            }
            #[allow(clippy::wildcard_enum_match_arm)]
            fn as_raw(&self) -> Option<&Raw> {
                match self {
                    Self::Ext(r) => Some(r),
                    _ => None,
                }
            }
        }
    };
}

macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        pub enum $name {
            $($(#[$vm])* $var,)*
        }
        impl $name {
            /// The element name of this value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$var => $s,)*
                }
            }
            /// The value named by this element name.
            pub fn from_name(local: &str) -> Option<Self> {
                match local {
                    $($s => Some(Self::$var),)*
                    _ => None,
                }
            }
        }
    };
}

values! {
    /// An activity (RFC 4480 §3.2).
    Activity {
        /// Has an appointment.
        Appointment = "appointment",
        /// Away.
        Away = "away",
        /// Having breakfast.
        Breakfast = "breakfast",
        /// Busy.
        Busy = "busy",
        /// Having dinner.
        Dinner = "dinner",
        /// On holiday.
        Holiday = "holiday",
        /// In transit.
        InTransit = "in-transit",
        /// Looking for work.
        LookingForWork = "looking-for-work",
        /// Having a meal.
        Meal = "meal",
        /// In a meeting.
        Meeting = "meeting",
        /// On the phone.
        OnThePhone = "on-the-phone",
        /// Performing.
        Performance = "performance",
        /// Permanently absent.
        PermanentAbsence = "permanent-absence",
        /// Playing.
        Playing = "playing",
        /// Giving a presentation.
        Presentation = "presentation",
        /// Shopping.
        Shopping = "shopping",
        /// Sleeping.
        Sleeping = "sleeping",
        /// Watching an event.
        Spectator = "spectator",
        /// Driving or steering a vehicle.
        Steering = "steering",
        /// Travelling.
        Travel = "travel",
        /// Watching TV.
        Tv = "tv",
        /// On vacation.
        Vacation = "vacation",
        /// Working.
        Working = "working",
        /// Worshipping.
        Worship = "worship",
        /// Not known (alone, by the schema).
        Unknown = "unknown",
    }
    other: yes
}

values! {
    /// A mood (RFC 4480 §3.5).
    MoodValue {
        /// afraid
        Afraid = "afraid",
        /// amazed
        Amazed = "amazed",
        /// angry
        Angry = "angry",
        /// annoyed
        Annoyed = "annoyed",
        /// anxious
        Anxious = "anxious",
        /// ashamed
        Ashamed = "ashamed",
        /// bored
        Bored = "bored",
        /// brave
        Brave = "brave",
        /// calm
        Calm = "calm",
        /// cold
        Cold = "cold",
        /// confused
        Confused = "confused",
        /// contented
        Contented = "contented",
        /// cranky
        Cranky = "cranky",
        /// curious
        Curious = "curious",
        /// depressed
        Depressed = "depressed",
        /// disappointed
        Disappointed = "disappointed",
        /// disgusted
        Disgusted = "disgusted",
        /// distracted
        Distracted = "distracted",
        /// embarrassed
        Embarrassed = "embarrassed",
        /// excited
        Excited = "excited",
        /// flirtatious
        Flirtatious = "flirtatious",
        /// frustrated
        Frustrated = "frustrated",
        /// grumpy
        Grumpy = "grumpy",
        /// guilty
        Guilty = "guilty",
        /// happy
        Happy = "happy",
        /// hot
        Hot = "hot",
        /// humbled
        Humbled = "humbled",
        /// humiliated
        Humiliated = "humiliated",
        /// hungry
        Hungry = "hungry",
        /// hurt
        Hurt = "hurt",
        /// impressed
        Impressed = "impressed",
        /// in awe
        InAwe = "in_awe",
        /// in love
        InLove = "in_love",
        /// indignant
        Indignant = "indignant",
        /// interested
        Interested = "interested",
        /// invincible
        Invincible = "invincible",
        /// jealous
        Jealous = "jealous",
        /// lonely
        Lonely = "lonely",
        /// mean
        Mean = "mean",
        /// moody
        Moody = "moody",
        /// nervous
        Nervous = "nervous",
        /// neutral
        Neutral = "neutral",
        /// offended
        Offended = "offended",
        /// playful
        Playful = "playful",
        /// proud
        Proud = "proud",
        /// relieved
        Relieved = "relieved",
        /// remorseful
        Remorseful = "remorseful",
        /// restless
        Restless = "restless",
        /// sad
        Sad = "sad",
        /// sarcastic
        Sarcastic = "sarcastic",
        /// serious
        Serious = "serious",
        /// shocked
        Shocked = "shocked",
        /// shy
        Shy = "shy",
        /// sick
        Sick = "sick",
        /// sleepy
        Sleepy = "sleepy",
        /// stressed
        Stressed = "stressed",
        /// surprised
        Surprised = "surprised",
        /// thirsty
        Thirsty = "thirsty",
        /// worried
        Worried = "worried",
        /// Not known (alone, by the schema).
        Unknown = "unknown",
    }
    other: yes
}

values! {
    /// A type of place (RFC 4480 §3.7): free text or an element of another namespace (such as
    /// RFC 4589 location types).
    PlaceTypeValue {}
    other: yes
}

values! {
    /// A kind of communication that is private at the person's place (RFC 4480 §3.8).
    PrivacyValue {
        /// Audio is unlikely to be overheard.
        Audio = "audio",
        /// Text is unlikely to be read by others.
        Text = "text",
        /// Video is unlikely to be seen by others.
        Video = "video",
        /// Not known (alone, by the schema).
        Unknown = "unknown",
    }
    other: no
}

values! {
    /// How a contact relates to the presentity (RFC 4480 §3.9).
    RelationshipValue {
        /// An assistant.
        Assistant = "assistant",
        /// An associate.
        Associate = "associate",
        /// Family.
        Family = "family",
        /// A friend.
        Friend = "friend",
        /// The presentity itself.
        SelfContact = "self",
        /// A supervisor.
        Supervisor = "supervisor",
        /// Not known.
        Unknown = "unknown",
    }
    other: yes
}

values! {
    /// The kind of service (RFC 4480 §3.10).
    ServiceClassValue {
        /// A courier.
        Courier = "courier",
        /// Electronic communication.
        Electronic = "electronic",
        /// Freight.
        Freight = "freight",
        /// In person.
        InPerson = "in-person",
        /// Postal mail.
        Postal = "postal",
        /// Not known.
        Unknown = "unknown",
    }
    other: no
}

/// The sphere the person acts in (RFC 4480 §3.11).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum SphereValue {
    /// At home.
    Home,
    /// At work.
    Work,
    /// Not known.
    Unknown,
    /// Free text, as RFC 4480 §3.11 and its §4 example use (`bowling league`); the schema
    /// does not allow text, so documents carrying it do not validate.
    Text(String),
    /// An extension element, verbatim.
    Ext(Raw),
}

impl SphereValue {
    /// The local name of an empty-element value.
    pub const fn as_str(&self) -> Option<&'static str> {
        match self {
            Self::Home => Some("home"),
            Self::Work => Some("work"),
            Self::Unknown => Some("unknown"),
            Self::Text(_) | Self::Ext(_) => None,
        }
    }
}

impl Value for SphereValue {
    fn from_name(local: &str) -> Option<Self> {
        match local {
            "home" => Some(Self::Home),
            "work" => Some(Self::Work),
            "unknown" => Some(Self::Unknown),
            _ => None,
        }
    }
    fn name(&self) -> Option<&'static str> {
        self.as_str()
    }
    fn other(_: Note) -> Option<Self> {
        None
    }
    fn as_other(&self) -> Option<&Note> {
        None
    }
    fn text(s: &str) -> Option<Self> {
        Some(Self::Text(s.to_owned()))
    }
    fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            Self::Home | Self::Work | Self::Unknown | Self::Ext(_) => None,
        }
    }
    fn raw(r: Raw) -> Self {
        Self::Ext(r)
    }
    fn as_raw(&self) -> Option<&Raw> {
        match self {
            Self::Ext(r) => Some(r),
            Self::Home | Self::Work | Self::Unknown | Self::Text(_) => None,
        }
    }
}

choice! {
    /// Noise at the person's place (RFC 4480 §3.6).
    PlaceAudio {
        /// Noisy.
        Noisy = "noisy",
        /// Fine for a call.
        Ok = "ok",
        /// Quiet.
        Quiet = "quiet",
        /// Not known.
        Unknown = "unknown",
    }
}

choice! {
    /// Light at the person's place (RFC 4480 §3.6).
    PlaceVideo {
        /// Too bright.
        TooBright = "toobright",
        /// Fine for video.
        Ok = "ok",
        /// Dark.
        Dark = "dark",
        /// Not known.
        Unknown = "unknown",
    }
}

choice! {
    /// Whether text messages suit the person's place (RFC 4480 §3.6).
    PlaceText {
        /// Typing is uncomfortable.
        Uncomfortable = "uncomfortable",
        /// Text is inappropriate.
        Inappropriate = "inappropriate",
        /// Fine.
        Ok = "ok",
        /// Not known.
        Unknown = "unknown",
    }
}

/// `<rpid:place-is>`: conditions at the person's place (RFC 4480 §3.6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PlaceIs {
    /// `id`, `from`, `until`, other attributes.
    pub meta: Meta,
    /// Notes.
    pub notes: Vec<Note>,
    /// `<audio>`.
    pub audio: Option<PlaceAudio>,
    /// `<video>`.
    pub video: Option<PlaceVideo>,
    /// `<text>`.
    pub text: Option<PlaceText>,
}

/// `<rpid:status-icon>`: an image standing for the status (RFC 4480 §3.12).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StatusIcon {
    /// `id`, `from`, `until`, other attributes.
    pub meta: Meta,
    /// The image URI.
    pub uri: String,
}

/// `<rpid:time-offset>`: minutes from UTC at the person's place (RFC 4480 §3.13).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TimeOffset {
    /// `id`, `from`, `until`, other attributes.
    pub meta: Meta,
    /// `description`: a label such as a time zone name.
    pub description: Option<String>,
    /// The offset in minutes.
    pub minutes: i64,
}

/// `active` or `idle` (RFC 4480 §3.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ActiveIdle {
    /// The user is using the service or device.
    #[default]
    Active,
    /// The user has not for `idle-threshold` seconds.
    Idle,
}

impl ActiveIdle {
    /// The value as written.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Idle => "idle",
        }
    }
}

/// `<rpid:user-input>`: whether someone is using a service or device (RFC 4480 §3.14).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UserInput {
    /// `id`.
    pub id: Option<String>,
    /// `idle-threshold`: seconds without input before `idle`.
    pub idle_threshold: Option<u64>,
    /// `last-input`: when the last input happened.
    pub last_input: Option<DateTime>,
    /// Other attributes, kept as read.
    pub attributes: Vec<OtherAttribute>,
    /// The state.
    pub value: ActiveIdle,
}
