"""Refusals from `backend.services` that the console shows to users, marked for translation.

Services raise ServiceError with these English messages; the console passes them through
`I18nState.tr`, so a message listed here reaches the user in their language (others stay English).
"""

from newapi_ui.i18n import N_

MESSAGES = (
    N_("invalid username or password"),
    N_("this user has been disabled"),
    N_("password login is disabled by the administrator"),
    N_("registration by password is disabled by the administrator"),
    N_("registration requires email verification, which is not available here"),
    N_("invalid email address"),
    N_("this username is already taken"),
    N_("the password must be 8 to 20 characters long"),
    N_("the username must be 1 to 20 characters without spaces"),
    N_("the two passwords do not match"),
    N_("the system has already been initialised"),
    N_("the display name must be at most 20 characters"),
    N_("no permission to act on a user of the same or a higher role"),
    N_("only the root user can promote users"),
    N_("the root user cannot be disabled, deleted or demoted"),
    N_("this user is already a common user"),
    N_("this user is already an administrator"),
    N_("user not found"),
    N_("invalid action"),
    N_("choose at least one model for the channel"),
)
