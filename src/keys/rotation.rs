//! When keys may sign and how long they stay published, and what one rotation
//! changes: pure arithmetic on the stored schedule, applied by the store in one
//! serialised transaction.

use crate::clock::UnixTime;
use crate::store::{KeyRow, Rotation, RotationPlan};

/// How long changes take to reach every instance and relying party. Every margin
/// allows for instances learning of a change late: a reload may begin just before the
/// change and take a while, and instances' clocks may differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// The `max-age` relying parties may cache `/jwks` for.
    pub jwks_max_age: i64,
    /// How often every instance reloads keys from the store.
    pub reload_interval: i64,
    /// How far instances' clocks may differ.
    pub clock_skew: i64,
    /// The longest lifetime of a token gatehouse signs.
    pub max_token_lifetime: i64,
}

impl Timing {
    /// How late an instance may act on a change made elsewhere.
    pub fn propagation(&self) -> i64 {
        2 * self.reload_interval + self.clock_skew
    }

    /// How long after its publication a key may start signing: every instance has
    /// published it, and every relying party's cached JWKS has it.
    pub fn activation_delay(&self) -> i64 {
        self.jwks_max_age + self.propagation()
    }

    /// How long a key stays published after it retired: until the last token signed
    /// by any instance, however late it learned of the retirement, has expired.
    pub fn retention(&self) -> i64 {
        self.max_token_lifetime + self.propagation()
    }
}

/// Plans the rotation of one algorithm whose stored keys are `keys`.
///
/// The next key (the one published earliest) is scheduled to sign at the latest of
/// `now` plus the propagation time (every instance learns of it first), its
/// publication plus the activation delay (every cached JWKS has it), and just after
/// any activation already scheduled (keys sign in the order they were rotated in).
/// The key that would sign until then retires at that moment, unless it already
/// retires earlier. Without a next key, nothing is scheduled (the caller stores one).
///
/// With `only_if_older_than` (automatic rotation by several instances), the answer is
/// `None` — change nothing — unless the newest scheduled key activated at or before
/// that time, so that only the first of several instances rotates.
pub fn plan(
    keys: &[KeyRow],
    timing: Timing,
    now: UnixTime,
    only_if_older_than: Option<UnixTime>,
) -> Option<RotationPlan> {
    let newest_scheduled = keys
        .iter()
        .filter(|k| k.activates_at.is_some())
        .max_by(|a, b| (a.activates_at, &a.kid).cmp(&(b.activates_at, &b.kid)));
    let scheduled_at = newest_scheduled.and_then(|k| k.activates_at);
    if let Some(cutoff) = only_if_older_than
        && scheduled_at.is_none_or(|at| at > cutoff)
    {
        return None;
    }
    let next = keys
        .iter()
        .filter(|k| k.activates_at.is_none())
        .min_by(|a, b| (a.published_at, &a.kid).cmp(&(b.published_at, &b.kid)));
    let Some(next) = next else { return Some(RotationPlan { activate: None, retire: None }) };
    let after_scheduled = scheduled_at.map_or(now, |at| at + 1);
    let at = (now + timing.propagation()).max(next.published_at + timing.activation_delay()).max(after_scheduled);
    let retire = newest_scheduled
        .filter(|previous| previous.retires_at.is_none_or(|retires| retires > at))
        .map(|previous| (previous.kid.clone(), at));
    Some(RotationPlan { activate: Some(Rotation { kid: next.kid.clone(), activates_at: at }), retire })
}

/// Plans `gatehouse dev`'s immediate rotation (an exception to publish-before-use,
/// for relying parties' tests): a new key, stored by the caller with `activates_at`
/// at `now`, signs at once, and the key that signed until now retires now. Every
/// earlier key stays published as after any retirement.
pub fn plan_immediate(keys: &[KeyRow], now: UnixTime) -> RotationPlan {
    let unretired = |k: &KeyRow| k.retires_at.is_none_or(|at| at > now);
    let signing = keys
        .iter()
        .filter(|k| k.activates_at.is_some_and(|at| at <= now))
        .max_by(|a, b| (unretired(a), a.activates_at, &a.kid).cmp(&(unretired(b), b.activates_at, &b.kid)))
        .filter(|k| unretired(k));
    RotationPlan { activate: None, retire: signing.map(|k| (k.kid.clone(), now)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// propagation 70 s, activation delay 370 s.
    const TIMING: Timing = Timing { jwks_max_age: 300, reload_interval: 30, clock_skew: 10, max_token_lifetime: 3600 };

    fn key(kid: &str, published: UnixTime, activates: Option<UnixTime>, retires: Option<UnixTime>) -> KeyRow {
        KeyRow {
            kid: kid.into(),
            alg: "RS256".into(),
            private_der: vec![],
            kek_id: None,
            created_at: published,
            published_at: published,
            activates_at: activates,
            retires_at: retires,
        }
    }

    fn activates(plan: &RotationPlan) -> (&str, UnixTime) {
        let rotation = plan.activate.as_ref().unwrap();
        (rotation.kid.as_str(), rotation.activates_at)
    }

    #[test]
    fn the_next_key_waits_for_every_cache_and_the_active_key_retires_then() {
        let keys = [key("active", 1_000, Some(1_000), None), key("next", 1_000, None, None)];
        // Published 1,000: caches have it from 1,370; the 70 s lead alone would give 1,170.
        let plan = plan(&keys, TIMING, 1_100, None).unwrap();
        assert_eq!(activates(&plan), ("next", 1_370));
        assert_eq!(plan.retire, Some(("active".into(), 1_370)));
        // Long published: now plus the lead.
        let plan = super::plan(&keys, TIMING, 5_000, None).unwrap();
        assert_eq!(activates(&plan), ("next", 5_070));
    }

    #[test]
    fn quick_rotations_sign_in_order() {
        // A first rotation scheduled "next" for 1,370; the key published since waits longer still.
        let keys = [
            key("active", 1_000, Some(1_000), Some(1_370)),
            key("next", 1_000, Some(1_370), None),
            key("newer", 1_100, None, None),
        ];
        let plan = plan(&keys, TIMING, 1_101, None).unwrap();
        assert_eq!(activates(&plan), ("newer", 1_470));
        assert_eq!(plan.retire, Some(("next".into(), 1_470)));

        // Published long ago, it still signs only after the activation already scheduled.
        let keys = [key("scheduled", 0, Some(9_000), None), key("old-next", 0, None, None)];
        let plan = super::plan(&keys, TIMING, 1_000, None).unwrap();
        assert_eq!(activates(&plan), ("old-next", 9_001));
    }

    #[test]
    fn the_earliest_published_next_key_goes_first() {
        let keys = [key("active", 0, Some(0), None), key("b", 500, None, None), key("a", 400, None, None)];
        assert_eq!(activates(&plan(&keys, TIMING, 2_000, None).unwrap()).0, "a");
    }

    #[test]
    fn an_earlier_retirement_is_kept() {
        let keys = [key("active", 0, Some(0), Some(100)), key("next", 0, None, None)];
        assert_eq!(plan(&keys, TIMING, 2_000, None).unwrap().retire, None);
    }

    #[test]
    fn an_immediate_rotation_retires_the_signing_key_now() {
        let keys = [
            key("old", 0, Some(0), Some(500)),
            key("active", 0, Some(500), Some(3_000)),
            key("scheduled", 0, Some(3_000), None),
            key("next", 0, None, None),
        ];
        assert_eq!(plan_immediate(&keys, 2_000).retire, Some(("active".into(), 2_000)));
        let retired = [key("active", 0, Some(500), Some(2_000))];
        assert_eq!(plan_immediate(&retired, 2_000).retire, None, "nothing signs any more");
    }

    #[test]
    fn without_a_next_key_nothing_is_scheduled() {
        let keys = [key("active", 0, Some(0), None)];
        assert_eq!(plan(&keys, TIMING, 2_000, None), Some(RotationPlan { activate: None, retire: None }));
    }

    #[test]
    fn automatic_rotation_waits_until_the_newest_activation_is_old_enough() {
        let keys = [key("active", 0, Some(1_000), None), key("next", 0, None, None)];
        assert_eq!(plan(&keys, TIMING, 2_000, Some(999)), None, "activated after the cutoff");
        assert!(plan(&keys, TIMING, 2_000, Some(1_000)).is_some());
        let scheduled = [key("active", 0, Some(1_000), None), key("next", 0, Some(2_500), None)];
        assert_eq!(plan(&scheduled, TIMING, 2_000, Some(1_500)), None, "a rotation is already scheduled");
        assert_eq!(plan(&[key("next", 0, None, None)], TIMING, 2_000, Some(1_500)), None, "nothing has signed");
    }
}
