"""SQLModel tables laid out exactly as new-api lays them out (table and column names, types),
so an existing One API / new-api database opens in place.

An autoincrement key is typed `id: int` with a default of None, as SQLAlchemy types it (`Mapped[int]`):
None only until the row is flushed, an int on every row read or written, which is all code handles.
Column expressions in queries go through `sqlmodel.col()` so mypy sees a column, not the int."""

from backend.models.ability import Ability
from backend.models.channel import Channel
from backend.models.checkin import Checkin
from backend.models.invite_rebate import InviteRebate
from backend.models.journal_state import LedgerJournalState
from backend.models.log import Log
from backend.models.midjourney import Midjourney
from backend.models.model_meta import ModelMeta, PrefillGroup, Vendor
from backend.models.oauth import AuthNonce, CustomOAuthProvider, UserOAuthBinding
from backend.models.option import Option
from backend.models.passkey import PasskeyCredential
from backend.models.quota_data import QuotaData
from backend.models.redemption import Redemption
from backend.models.setup import Setup
from backend.models.subscription import (
    SubscriptionOrder,
    SubscriptionPlan,
    SubscriptionQuotaGrant,
    UserSubscription,
)
from backend.models.task import Task
from backend.models.token import Token
from backend.models.top_up import TopUp
from backend.models.twofa import TwoFA, TwoFABackupCode
from backend.models.user import User
from backend.models.user_session import UserSession

__all__ = [
    "Ability", "AuthNonce", "Channel", "Checkin", "CustomOAuthProvider", "InviteRebate", "LedgerJournalState", "Log", "Midjourney", "ModelMeta",
    "Option", "PasskeyCredential", "PrefillGroup", "QuotaData", "Redemption", "Setup", "SubscriptionOrder", "SubscriptionPlan",
    "SubscriptionQuotaGrant", "Task", "Token", "TopUp", "TwoFA",
    "TwoFABackupCode", "User", "UserOAuthBinding", "UserSession", "UserSubscription", "Vendor",
]
