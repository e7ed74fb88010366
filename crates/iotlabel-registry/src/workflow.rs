//! The application workflow as an explicit state machine: every state, every action, who may
//! take it, and where it leads. An action not in [`TRANSITIONS`] is refused with the actions
//! that are allowed (the API answers 409 Conflict with that list).
//!
//! draft → lab-review → submitted → under-assessment → changes-requested ↔ submitted →
//! approved | rejected; withdrawn from any open state.

use serde::{Deserialize, Serialize};

use crate::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Draft,
    LabReview,
    Submitted,
    UnderAssessment,
    ChangesRequested,
    Approved,
    Rejected,
    Withdrawn,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Draft,
        State::LabReview,
        State::Submitted,
        State::UnderAssessment,
        State::ChangesRequested,
        State::Approved,
        State::Rejected,
        State::Withdrawn,
    ];

    /// No action leaves a final state.
    pub fn is_final(self) -> bool {
        matches!(self, State::Approved | State::Rejected | State::Withdrawn)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::LabReview => "lab-review",
            State::Submitted => "submitted",
            State::UnderAssessment => "under-assessment",
            State::ChangesRequested => "changes-requested",
            State::Approved => "approved",
            State::Rejected => "rejected",
            State::Withdrawn => "withdrawn",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The manufacturer sends the draft to its assigned lab.
    SendToLab,
    /// The lab returns the application to the manufacturer to fix.
    ReturnToManufacturer,
    /// The lab hands its review to the assessors.
    HandOff,
    /// An assessor takes the application.
    StartAssessment,
    RequestChanges,
    /// The manufacturer answers a change request.
    Resubmit,
    /// Issues the label in the same transaction; refused above the attained level.
    Approve,
    Reject,
    Withdraw,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SendToLab => "send-to-lab",
            Action::ReturnToManufacturer => "return-to-manufacturer",
            Action::HandOff => "hand-off",
            Action::StartAssessment => "start-assessment",
            Action::RequestChanges => "request-changes",
            Action::Resubmit => "resubmit",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Withdraw => "withdraw",
        }
    }

    /// Whether the action must carry a reason (shown to the manufacturer and logged).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Action::ReturnToManufacturer | Action::RequestChanges | Action::Reject
        )
    }
}

/// One allowed step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: State,
    pub action: Action,
    pub to: State,
    pub by: &'static [Role],
}

const MANUFACTURER: &[Role] = &[Role::Manufacturer];
const LAB: &[Role] = &[Role::TestLab];
const ASSESSORS: &[Role] = &[Role::Assessor, Role::Registrar];

/// Every allowed transition. Withdrawal is listed per open state.
pub const TRANSITIONS: &[Transition] = &[
    Transition {
        from: State::Draft,
        action: Action::SendToLab,
        to: State::LabReview,
        by: MANUFACTURER,
    },
    Transition {
        from: State::LabReview,
        action: Action::ReturnToManufacturer,
        to: State::Draft,
        by: LAB,
    },
    Transition {
        from: State::LabReview,
        action: Action::HandOff,
        to: State::Submitted,
        by: LAB,
    },
    Transition {
        from: State::Submitted,
        action: Action::StartAssessment,
        to: State::UnderAssessment,
        by: ASSESSORS,
    },
    Transition {
        from: State::UnderAssessment,
        action: Action::RequestChanges,
        to: State::ChangesRequested,
        by: ASSESSORS,
    },
    Transition {
        from: State::ChangesRequested,
        action: Action::Resubmit,
        to: State::Submitted,
        by: MANUFACTURER,
    },
    Transition {
        from: State::UnderAssessment,
        action: Action::Approve,
        to: State::Approved,
        by: ASSESSORS,
    },
    Transition {
        from: State::UnderAssessment,
        action: Action::Reject,
        to: State::Rejected,
        by: ASSESSORS,
    },
    Transition {
        from: State::Draft,
        action: Action::Withdraw,
        to: State::Withdrawn,
        by: MANUFACTURER,
    },
    Transition {
        from: State::LabReview,
        action: Action::Withdraw,
        to: State::Withdrawn,
        by: MANUFACTURER,
    },
    Transition {
        from: State::Submitted,
        action: Action::Withdraw,
        to: State::Withdrawn,
        by: MANUFACTURER,
    },
    Transition {
        from: State::UnderAssessment,
        action: Action::Withdraw,
        to: State::Withdrawn,
        by: MANUFACTURER,
    },
    Transition {
        from: State::ChangesRequested,
        action: Action::Withdraw,
        to: State::Withdrawn,
        by: MANUFACTURER,
    },
];

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error(
        "{action} is not possible from {from}; allowed here: {}",
        list(allowed)
    )]
    NotAllowed {
        from: &'static str,
        action: &'static str,
        allowed: Vec<&'static str>,
    },
    #[error("a {role} may not {action}; who may: {}", list(who))]
    Forbidden {
        role: &'static str,
        action: &'static str,
        who: Vec<&'static str>,
    },
    #[error("{action} needs a reason")]
    ReasonRequired { action: &'static str },
}

fn list(items: &[&'static str]) -> String {
    if items.is_empty() {
        "nothing (final state)".to_owned()
    } else {
        items.join(", ")
    }
}

/// The actions allowed from `state` (for anyone).
pub fn allowed_actions(state: State) -> Vec<Action> {
    TRANSITIONS
        .iter()
        .filter(|t| t.from == state)
        .map(|t| t.action)
        .collect()
}

/// The actions `role` may take from `state`.
pub fn allowed_actions_for(state: State, role: Role) -> Vec<Action> {
    TRANSITIONS
        .iter()
        .filter(|t| t.from == state && t.by.contains(&role))
        .map(|t| t.action)
        .collect()
}

/// The state `action` by `role` leads to from `state`, or why it is refused. A state error
/// (409) is reported before a role error (403) so a client learns what is possible at all.
pub fn apply(
    state: State,
    action: Action,
    role: Role,
    reason: Option<&str>,
) -> Result<State, TransitionError> {
    let Some(transition) = TRANSITIONS
        .iter()
        .find(|t| t.from == state && t.action == action)
    else {
        return Err(TransitionError::NotAllowed {
            from: state.as_str(),
            action: action.as_str(),
            allowed: allowed_actions(state)
                .into_iter()
                .map(Action::as_str)
                .collect(),
        });
    };
    if !transition.by.contains(&role) {
        return Err(TransitionError::Forbidden {
            role: role.as_str(),
            action: action.as_str(),
            who: transition.by.iter().map(|r| r.as_str()).collect(),
        });
    }
    if action.needs_reason() && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(TransitionError::ReasonRequired {
            action: action.as_str(),
        });
    }
    Ok(transition.to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_and_a_change_request() {
        let mut state = State::Draft;
        for (action, role) in [
            (Action::SendToLab, Role::Manufacturer),
            (Action::HandOff, Role::TestLab),
            (Action::StartAssessment, Role::Assessor),
        ] {
            state = apply(state, action, role, None).unwrap();
        }
        state = apply(
            state,
            Action::RequestChanges,
            Role::Assessor,
            Some("add the support period"),
        )
        .unwrap();
        assert_eq!(state, State::ChangesRequested);
        state = apply(state, Action::Resubmit, Role::Manufacturer, None).unwrap();
        state = apply(state, Action::StartAssessment, Role::Assessor, None).unwrap();
        assert_eq!(
            apply(state, Action::Approve, Role::Assessor, None),
            Ok(State::Approved)
        );
    }

    #[test]
    fn illegal_transitions_name_the_allowed_ones() {
        let error = apply(State::Draft, Action::Approve, Role::Assessor, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "approve is not possible from draft; allowed here: send-to-lab, withdraw"
        );
        let error = apply(State::Approved, Action::Withdraw, Role::Manufacturer, None).unwrap_err();
        assert!(error.to_string().contains("nothing (final state)"));
    }

    #[test]
    fn roles_are_enforced_and_reasons_required() {
        let error =
            apply(State::UnderAssessment, Action::Approve, Role::TestLab, None).unwrap_err();
        assert!(
            matches!(error, TransitionError::Forbidden { .. }),
            "a lab cannot approve"
        );
        assert!(
            apply(
                State::UnderAssessment,
                Action::Approve,
                Role::Manufacturer,
                None
            )
            .is_err()
        );
        assert_eq!(
            apply(
                State::UnderAssessment,
                Action::Reject,
                Role::Assessor,
                Some("  ")
            ),
            Err(TransitionError::ReasonRequired { action: "reject" })
        );
    }

    #[test]
    fn final_states_have_no_way_out_and_open_states_can_be_withdrawn() {
        for state in State::ALL {
            assert_eq!(
                state.is_final(),
                allowed_actions(state).is_empty(),
                "{state:?}"
            );
            if !state.is_final() {
                assert!(
                    allowed_actions_for(state, Role::Manufacturer).contains(&Action::Withdraw),
                    "{state:?}"
                );
            }
        }
    }
}
