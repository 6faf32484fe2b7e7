"""SQLModel tables laid out exactly as new-api lays them out (table and column names, types),
so an existing One API / new-api database opens in place."""

from backend.models.ability import Ability
from backend.models.channel import Channel
from backend.models.journal_state import LedgerJournalState
from backend.models.log import Log
from backend.models.option import Option
from backend.models.quota_data import QuotaData
from backend.models.redemption import Redemption
from backend.models.setup import Setup
from backend.models.token import Token
from backend.models.top_up import TopUp
from backend.models.user import User
from backend.models.user_session import UserSession

__all__ = [
    "Ability", "Channel", "LedgerJournalState", "Log", "Option", "QuotaData", "Redemption", "Setup", "Token", "TopUp",
    "User", "UserSession",
]
