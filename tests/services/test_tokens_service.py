import re

from backend.auth.passwords import hash_password
from backend.db import session_scope
from backend.models import Token, User
from backend.models.schemas.token import TokenUpdate
from backend.services import groups, ledger, options, tokens


def test_generated_keys_are_48_alphanumerics_and_unpredictable():
    keys = {tokens.generate_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(re.fullmatch(r"[0-9A-Za-z]{48}", k) for k in keys)
    # every character class shows up across keys (not e.g. hex only)
    joined = "".join(keys)
    assert re.search("[a-z]", joined) and re.search("[A-Z]", joined) and re.search("[0-9]", joined)


def test_mask_hides_the_middle():
    key = "abcd" + "x" * 40 + "wxyz"
    masked = tokens.mask_key(key)
    assert masked.startswith("sk-abcd") and masked.endswith("wxyz") and "x" * 10 not in masked
    assert key not in masked


def test_usable_groups(sqlite_storage):
    assert groups.is_usable("default", "")
    assert groups.is_usable("default", "vip")
    assert not groups.is_usable("default", "svip")  # priced but not offered to users
    assert groups.is_usable("svip", "svip")  # one's own group
    options.update("UserUsableGroups", '{"default": "d", "ghost": "not priced"}')
    assert not groups.is_usable("default", "ghost")


def test_remain_quota_edit_keeps_unflushed_spending(storage):
    with session_scope() as s:
        u = User(username="owner", password=hash_password("pass-word-1"), quota=10_000)
        s.add(u)
        s.flush()
        t = Token(user_id=u.id, key=tokens.generate_key(), name="t", remain_quota=1000)
        s.add(t)
        s.flush()
    book = ledger.get_ledger()
    assert book.token_remain(t.id) == 1000
    book.apply(u.id, t.id, quota_delta=300, used=300)  # spent on the relay, not yet flushed
    out = tokens.update_token(u, t.id, TokenUpdate(remain_quota=2000))  # the user saw 1000 and typed 2000
    assert book.token_remain(t.id) == 1700
    assert book.flush()
    with session_scope() as s:
        assert s.get(Token, t.id).remain_quota == 1700
    assert out.remain_quota == 2000
