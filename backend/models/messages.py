"""The catalog of every refusal message (`msg(...)` at the raise sites): the msgids translators
work from, extracted by babel (babel.cfg) into translations/messages.pot.

A raise site writes `ServiceError(msg("template with {name}", name=value))`; the template must be listed
here, once. `tests/services/test_message_catalog.py` keeps the two in step (every entry raised
somewhere, every raised template listed, every entry translated in each language) and refuses a
raise with a bare string. The API answers the English text; the console renders the msgid in the
reader's language and fills the parameters in after translation. Grouped by the module that raises
each first (a template shared by several modules is listed under the first).
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Marks a msgid for extraction; the text itself."""
    return text


CATALOG: frozenset[str] = frozenset({
    # backend/api/channel_upstream.py
    N_("Channel ID and model name are required"),
    # backend/api/custom_oauth.py
    N_("the body must be a JSON object"),
    N_("enter a discovery URL or an issuer URL first"),
    # backend/api/deps.py
    N_("not logged in and no valid access token provided"),
    N_("the New-Api-User header is missing or does not match the logged-in user"),
    N_("this user has been disabled"),
    N_("permission denied: insufficient role"),
    # backend/api/log.py
    N_("target_timestamp is required"),
    N_("key is required"),
    # backend/api/models.py
    N_("缺少模型 ID"),
    # backend/api/oauth.py
    N_("login failed"),
    # backend/api/option_tools.py
    N_("confirm the payment terms from the console; an access token cannot"),
    N_("please confirm the payment terms"),
    # backend/api/prefill_group.py
    N_("缺少组 ID"),
    # backend/api/ratelimit.py
    N_("too many requests, please try again later"),
    # backend/api/redemption.py
    N_("id is required"),
    # backend/api/router.py
    N_("no such API route: /api/{path}"),
    # backend/api/subscription.py
    N_("enabled is required"),
    # backend/api/telegram.py
    N_("this Telegram account is not bound to any user; log in and bind it first"),
    N_("log in first to bind a Telegram account"),
    # backend/api/topup.py
    N_("trade_no is required"),
    # backend/api/types.py
    N_("a number in the request is out of range"),
    N_("{name} is not a number this API accepts"),
    N_("the JSON body is nested too deeply"),
    # backend/api/vendors.py
    N_("缺少供应商 ID"),
    # backend/models/channel_types.py
    N_("new-api relays Replicate as synchronous image generation, not as an asynchronous task, and this gateway does not implement that adaptor"),
    N_("this asynchronous task API (music, video) is not relayed by this gateway"),
    N_("this provider's own protocol is not implemented by this gateway"),
    N_("channel type {type_id} is not a known channel type"),
    N_("channel type {name} ({type_id}) cannot be used: {reason}"),
    N_("channel type {name} ({type_id}) needs a base URL: it has no default"),
    # backend/models/errors.py
    N_("not found"),
    N_("permission denied"),
    N_("not logged in"),
    # backend/models/validation.py
    N_("the display name must be at most 20 characters"),
    N_("the username must be 1 to 20 characters without spaces"),
    N_("the password must be 8 to 20 characters long"),
    N_("invalid email address"),
    # backend/relay/channel_balance.py
    N_("upstream request failed: {error}"),
    N_("upstream answered {status_code}: {message}"),
    N_("upstream answered with a body that is not JSON"),
    N_("upstream reply has no usable {what}"),
    N_("the channel has no base URL"),
    N_("the channel has no key"),
    N_("upstream reply has no balance_infos"),
    N_("upstream reply has no data"),
    N_("balance queries are not supported for {type} channels"),
    N_("upstream subscription reply is not an object"),
    N_("channel not found"),
    N_("key must not be empty"),
    N_("a custom channel's URL is a single endpoint; it has no model list"),
    N_("{name} has no model list API; enter the channel's models by hand"),
    N_("base_url must start with http:// or https://"),
    N_("upstream model list has no `data` array"),
    # backend/relay/channel_test.py
    N_("all channels are already being tested"),
    # backend/relay/codex_usage.py
    N_("获取用量信息失败，请稍后重试"),
    N_("codex channel: access_token is required"),
    N_("codex channel: account_id is required"),
    N_("multi-key channel is not supported"),
    # backend/relay/ollama_manage.py
    N_("This operation is only supported for Ollama channels"),
    N_("{message}"),
    N_("status code {status}"),
    N_("the Ollama server could not be reached: {error}"),
    N_("the Ollama server answered with a body that is not JSON"),
    N_("the Ollama server's reply has no version"),
    # backend/services/billing.py
    N_("model {model} ratio or price not set; ask the administrator to set it, or enable self-use mode"),
    # backend/services/channel_input.py
    N_("invalid channel field {where}: {value}"),
    N_("{name} is not valid JSON: {exc}"),
    N_("{name} must be a JSON object"),
    N_("model_mapping values must be non-empty model names (check {bad!r})"),
    N_("status_code_mapping must map status codes to status codes (check {k!r})"),
    N_("status_code_mapping codes must be between 100 and 599 (check {k!r})"),
    N_("header_override values must be strings (check {bad!r})"),
    N_("setting.proxy must be an http://, https:// or socks5:// URL"),
    N_("choose at least one model for the channel"),
    N_("{name} is too long (at most {limit} characters)"),
    N_("type must be a channel type number"),
    N_("status must be 1 (enabled), 2 (disabled) or 3 (auto-disabled)"),
    N_("weight must be a non-negative integer"),
    N_("auto_ban must be 0 or 1"),
    N_("model name too long: {name}…"),
    N_("group list is too long (at most 64 characters in all)"),
    N_("Vertex AI channels need a deployment region in `other`"),
    N_("the Vertex AI region map in `other` must have a `default` entry"),
    # backend/services/channel_tools.py
    N_("渠道不存在"),
    N_("the copy's name would be longer than {max_name} characters"),
    N_("tag不能为空"),
    # backend/services/channels.py
    N_("Vertex AI batch mode needs a JSON array of service-account objects"),
    N_("changing {moved} would send this channel's stored key elsewhere: only the root user may do that, or enter the key again in the same request"),
    N_("ids must not be empty"),
    N_("tag must not be empty"),
    N_("tag is too long (at most 255 characters)"),
    # backend/services/checkins.py
    N_("check-in is not enabled"),
    N_("you have already checked in today"),
    N_("month must look like YYYY-MM"),
    # backend/services/codex_oauth.py
    N_("channel type is not Codex"),
    N_("empty input"),
    N_("codex oauth {what} failed: {error}"),
    N_("codex oauth {what} failed: status={status_code}"),
    N_("codex oauth {what} answered with a body that is not JSON"),
    N_("codex oauth {what} response missing fields"),
    N_("failed to extract account_id from access_token"),
    N_("missing authorization code"),
    N_("missing state in input"),
    N_("oauth flow not started or session expired"),
    N_("state mismatch"),
    N_("解析凭证失败，请检查渠道配置"),
    N_("codex channel: refresh_token is required"),
    # backend/services/creem.py
    N_("invalid Creem signature"),
    N_("Creem payment is not configured by the administrator"),
    N_("could not start the payment"),
    N_("unsupported payment channel"),
    N_("please choose a product"),
    N_("this product does not exist"),
    N_("this plan has no Creem product"),
    N_("the webhook body is not JSON"),
    N_("the event has no request_id"),
    # backend/services/custom_oauth.py
    N_("trusted_proxy_cidrs must be a JSON list or comma-separated CIDRs"),
    N_("not an IP address or CIDR range: {item}"),
    N_("provider name is required"),
    N_("provider slug must contain only lowercase letters, numbers, and hyphens"),
    N_("this slug conflicts with a built-in OAuth provider"),
    N_("provider kind is invalid"),
    N_("auth_style must be 0 (auto), 1 (parameters) or 2 (basic auth)"),
    N_("{label} is required"),
    N_("only the direct_token acquire mode is supported"),
    N_("jwt_identity_mode must be claims or userinfo"),
    N_("a JWT provider needs a JWKS URL or a public key"),
    N_("user info endpoint is required in userinfo identity mode"),
    N_("external_id_header is required"),
    N_("trusted_proxy_cidrs is required"),
    N_("{key} must be a boolean"),
    N_("auth_style must be an integer"),
    N_("{key} must be a string"),
    N_("{key} is too long"),
    N_("this slug is already in use"),
    N_("OAuth provider not found"),
    N_("users are still bound to this OAuth provider; unbind them first"),
    # backend/services/dashboard_data.py
    N_("end_timestamp is before start_timestamp"),
    N_("the time range must be given and at most 30 days"),
    # backend/services/email_bind.py
    N_("the verification code is wrong or has expired"),
    N_("user not found"),
    N_("this email address is already in use by another account"),
    # backend/services/epay.py
    N_("the amount to pay is too low"),
    N_("online payment is not configured by the administrator"),
    N_("this payment method does not exist"),
    # backend/services/external_login.py
    N_("unknown OAuth provider"),
    N_("{name} login is not enabled by the administrator"),
    N_("{name} login is misconfigured (public key)"),
    N_("could not read {name}'s signing keys"),
    N_("the identity token is invalid or has expired"),
    N_("{name} returned no user id"),
    N_("no identity token was given"),
    N_("could not reach {name}, please try again"),
    N_("{name} did not return the user's information"),
    N_("this request did not come through a trusted proxy"),
    N_("the trusted proxy sent no identity"),
    N_("no account is bound to this {name} identity"),
    # backend/services/ledger.py
    N_("insufficient user quota: remaining {remaining}, needed {needed}"),
    N_("insufficient token quota: remaining {remaining}, needed {needed}"),
    # backend/services/mailer.py
    N_("the SMTP sender address (SMTPFrom or SMTPAccount) is not configured"),
    N_("mail is not configured: ask the administrator to set the SMTP server"),
    N_("the mail could not be sent; please try again later"),
    # backend/services/model_meta.py
    N_("模型名称已存在"),
    N_("模型不存在"),
    N_("name_rule must be 0 (exact), 1 (prefix), 2 (contains) or 3 (suffix)"),
    N_("endpoints must be JSON"),
    N_("模型名称不能为空"),
    # backend/services/model_sync.py
    N_("获取上游模型失败: the catalogue is not JSON"),
    N_("获取上游模型失败: the catalogue has no data list"),
    N_("获取上游模型失败: {message}"),
    N_("获取上游模型失败: status {status}"),
    # backend/services/multi_keys.py
    N_("unsupported action"),
    N_("this channel is not in multi-key mode"),
    N_("key_index is required for this action"),
    N_("key_index is out of range"),
    N_("no enabled key to disable"),
    N_("no automatically disabled key to delete"),
    N_("the last key of a channel cannot be deleted"),
    # backend/services/notify.py
    N_("the receiver answered {status}"),
    # backend/services/oauth_accounts.py
    N_("the account bound to this login has been deleted"),
    N_("registration of new users is disabled by the administrator"),
    N_("this account was just created by another request, please try again"),
    N_("the provider returned no user id"),
    N_("this {name} account is already bound to another user"),
    N_("invalid binding type"),
    N_("bind an email address or another login first: this is your account's last way in"),
    # backend/services/oauth_discovery.py
    N_("the discovery URL must be an http(s) URL"),
    N_("could not fetch the discovery document"),
    N_("the discovery document could not be read (HTTP {status_code})"),
    N_("the discovery document is not JSON"),
    N_("the discovery document is not a JSON object"),
    # backend/services/oauth_fields.py
    N_("the access policy is not valid JSON"),
    N_("the access policy must be a JSON object"),
    N_("the access policy's logic must be and or or"),
    N_("the access policy needs at least one condition or group"),
    N_("every access policy condition needs a field"),
    N_("unsupported access policy operator: {op}"),
    N_("the value of an {op} condition must be a list"),
    N_("{provider_name} login is misconfigured (access policy)"),
    N_("your {provider_name} account is not allowed to sign in here"),
    # backend/services/oauth_providers.py
    N_("the authorization code is missing or invalid"),
    N_("{name} login is not configured completely"),
    N_("{name} refused the authorization code"),
    N_("{name} returned no access token"),
    N_("{name} returned unreadable user information"),
    N_("GitHub returned no user id"),
    N_("Discord returned no user id"),
    N_("Linux DO returned no user id"),
    N_("your Linux DO trust level is too low to sign in here"),
    N_("the OIDC provider returned no subject or email"),
    # backend/services/oauth_state.py
    N_("invalid browser binding"),
    N_("the OAuth state is invalid or has expired, please try again"),
    # backend/services/option_rules.py
    N_("the option value must be a string, number or boolean"),
    N_("the payment terms are confirmed with their own action, not as an option"),
    N_("cannot enable {key}: {need}"),
    # backend/services/options.py
    N_("invalid option key"),
    N_("{key} must be valid JSON: {exc}"),
    N_("{key} must be a JSON array"),
    N_("{key} must be a JSON object"),
    N_("{key}: values must be non-negative numbers (check {bad})"),
    N_("{key} must be a number"),
    N_("{key} must be true or false"),
    N_("ModelRequestRateLimitGroup: {group} needs [total count, success count]"),
    N_("ModelRequestRateLimitGroup: {group} needs a total count >= 0 and a success count >= 1"),
    N_("{key} must be a JSON array: {exc}"),
    N_("{key} must be a JSON array of strings"),
    N_("{key}: {bad!r} is not a port (1-65535) or a range like 8000-9000"),
    # backend/services/passkey_settings.py
    N_("passkey login is not enabled by the administrator"),
    N_("the passkey origin is not configured: set ServerAddress or passkey.origins"),
    N_("insecure passkey origin {origin}: use HTTPS or allow insecure origins"),
    # backend/services/passkeys.py
    N_("passkey verification failed, please try again"),
    N_("the passkey request has expired, please start again"),
    N_("the passkey response is malformed"),
    N_("this passkey is already registered"),
    N_("no passkey is registered for this account"),
    N_("passkey not found"),
    N_("no permission to reset the passkeys of a user of the same or a higher role"),
    N_("this user has no passkey"),
    # backend/services/payment_compliance.py
    N_("online payment is unavailable until the administrator confirms the payment terms"),
    # backend/services/payment_pricing.py
    N_("the top-up amount is too small"),
    N_("the top-up amount is too large"),
    N_("the top-up amount cannot be less than {minimum}"),
    N_("the top-up amount cannot be more than {maximum}"),
    # backend/services/prefill_groups.py
    N_("组名称已存在"),
    N_("组名称和类型不能为空"),
    N_("type must be one of {types}"),
    N_("items must be a JSON array of strings"),
    N_("at most {max_items} items"),
    N_("组不存在"),
    # backend/services/ratio_convert.py
    N_("failed to decode {what} response"),
    N_("empty models.dev response"),
    N_("no valid models.dev pricing entries found"),
    # backend/services/ratio_sync.py
    N_("upstream {what} {url!r} failed validation: {message}"),
    N_("failed to get channel key: channel not found"),
    N_("{status}"),
    N_("invalid JSON: {exc}"),
    N_("upstream answered success=false"),
    N_("无法解析上游返回数据"),
    N_("OpenRouter requires a valid channel with API key"),
    N_("no API key configured for this channel"),
    # backend/services/redemptions.py
    N_("redemption code not found"),
    N_("the name must be 1 to 20 characters long"),
    N_("quota must be positive"),
    N_("the expiry time must be in the future, or 0 for never"),
    N_("count must be between 1 and {max_count}"),
    N_("a used code cannot change status"),
    N_("status must be 1 (enabled) or 2 (disabled)"),
    N_("please enter a redemption code"),
    N_("invalid redemption code"),
    N_("this redemption code has expired"),
    N_("this redemption code has already been used or is disabled"),
    # backend/services/safe_fetch.py
    N_("the response is larger than {cap} bytes"),
    N_("fetching {host} timed out after {timeout:g}s"),
    N_("could not fetch {host}: {error}"),
    N_("more than {max_redirects} redirects"),
    # backend/services/secure_verification.py
    N_("secure verification needs a login session (not an access token)"),
    N_("turn on 2FA or add a passkey first"),
    N_("2FA is not enabled for this user"),
    N_("the verification code is empty"),
    N_("finish the passkey check first"),
    N_("unsupported verification method: use 2fa or passkey"),
    N_("secure verification is required"),
    N_("the verification has expired, please verify again"),
    # backend/services/setup.py
    N_("the two passwords do not match"),
    N_("the system has already been initialised"),
    # backend/services/site_info.py
    N_("倍率配置接口未启用"),
    # backend/services/ssrf.py
    N_("URL not allowed: {reason}"),
    N_("{where}, a private or reserved address"),
    N_("{where}, which is not in the IP whitelist"),
    N_("{where}, which is in the IP blacklist"),
    N_("invalid URL ({exc})"),
    N_("unsupported scheme {scheme!r}: only http and https"),
    N_("the URL has no valid host"),
    N_("port {port} is not allowed"),
    N_("the allowed_ports setting is invalid: {exc}"),
    N_("{host} is not in the domain whitelist"),
    N_("{host} is in the domain blacklist"),
    N_("DNS resolution failed for {host}"),
    # backend/services/stripe_pay.py
    N_("invalid Stripe signature"),
    N_("the Stripe API key is not valid (it must start with sk_ or rk_)"),
    N_("Stripe payment is not configured by the administrator"),
    # backend/services/subscription_orders.py
    N_("this plan is not available"),
    N_("the plan's price is too low"),
    N_("you have reached this plan's purchase limit"),
    N_("this plan has no Stripe price"),
    N_("subscription order not found"),
    N_("the order is {status}, not pending"),
    # backend/services/subscriptions.py
    N_("the plan title cannot be empty"),
    N_("the price is not a number"),
    N_("the price must be between 0 and {max_price}"),
    N_("invalid duration_unit"),
    N_("custom_seconds must be greater than 0"),
    N_("the duration is too long (at most 100 years)"),
    N_("the purchase limit cannot be negative"),
    N_("the total quota must be between 0 and 2^53-1"),
    N_("a custom reset period must be at least 60 seconds"),
    N_("the upgrade group does not exist"),
    N_("a whole number was expected"),
    N_("a number is out of range"),
    N_("subscription plan not found"),
    N_("the order's user no longer exists"),
    N_("subscription not found"),
    # backend/services/telegram_bot.py
    N_("Telegram login is not enabled by the administrator"),
    N_("invalid login nonce"),
    N_("this login link has expired, please start again"),
    N_("this login link belongs to another browser"),
    # backend/services/telegram_widget.py
    N_("invalid Telegram login data"),
    N_("the Telegram login data has expired, please log in again"),
    # backend/services/tokens.py
    N_("token not found"),
    N_("the token name must be at most 50 characters"),
    N_("the remaining quota cannot be negative"),
    N_("the expiry time must be in the future, or -1 for never"),
    N_("this group is not available to you"),
    N_("the model limits and the allowed IPs are limited to 1024 characters each"),
    N_("you already have the maximum of {cap} tokens"),
    N_("the token has expired; change its expiry time before enabling it"),
    N_("the token's quota is used up; raise its remaining quota before enabling it"),
    N_("invalid parameters: ids must not be empty"),
    N_("at most {max_batch_keys} tokens at once"),
    # backend/services/topups.py
    N_("top-up order not found"),
    N_("this order belongs to another payment provider"),
    # backend/services/turnstile.py
    N_("the Turnstile token is empty"),
    N_("Turnstile check failed, please refresh and try again"),
    N_("Turnstile verification is unavailable, please try again later"),
    # backend/services/twofa.py
    N_("the verification code or backup code is wrong, please try again"),
    N_("2FA is already enabled; disable it before setting it up again"),
    N_("too many wrong codes: 2FA is locked until {until}, try again later"),
    N_("the verification code must be 6 digits"),
    N_("set up 2FA first"),
    N_("2FA is already enabled"),
    N_("no permission to change the 2FA of a user of the same or a higher role"),
    # backend/services/twofa_login.py
    N_("the login has expired, please log in again"),
    N_("enter the verification code or a backup code"),
    # backend/services/twofa_secret.py
    N_("this account's 2FA secret cannot be read (CRYPTO_SECRET changed?); ask an administrator to reset its 2FA"),
    # backend/services/upstream_models.py
    N_("invalid channel id"),
    # backend/services/uptime_kuma.py
    N_("{groups_option} must be a JSON array: {exc}"),
    N_("{groups_option} must be a JSON array of objects"),
    N_("{groups_option}: at most {max_groups} groups"),
    N_("{groups_option}: {url!r} is not an http(s) URL"),
    N_("status {status}"),
    # backend/services/user_admin.py
    N_("no permission to act on a user of the same or a higher role"),
    N_("cannot create a user with a role equal to or higher than your own"),
    N_("invalid role"),
    N_("this username is already taken"),
    N_("unknown group"),
    N_("the remark must be at most 255 characters"),
    N_("quota cannot be negative"),
    N_("the root user cannot be deleted"),
    N_("invalid action"),
    N_("the root user cannot be disabled, deleted or demoted"),
    N_("only the root user can promote users"),
    N_("this user is already an administrator"),
    N_("this user is already a common user"),
    # backend/services/users.py
    N_("registration by password is disabled by the administrator"),
    N_("an email address and its verification code are required"),
    N_("this email address is already in use"),
    N_("password login is disabled by the administrator"),
    N_("invalid username or password"),
    N_("the original password is wrong"),
    N_("the root user cannot delete itself"),
    N_("the transfer must be at least {minimum}"),
    N_("not enough invitation reward to transfer"),
    N_("invalid value for {key}"),
    N_("the notification method must be email, webhook, Bark or Gotify"),
    N_("the quota warning threshold must be positive"),
    N_("a webhook notification needs a webhook URL starting with http:// or https://"),
    N_("a Bark notification needs a Bark URL starting with http:// or https://"),
    N_("a Gotify notification needs a Gotify URL starting with http:// or https:// and an application token"),
    N_("the Gotify priority must be between 0 and 10"),
    N_("invalid notification email"),
    # backend/services/vendors.py
    N_("供应商名称已存在"),
    N_("供应商不存在"),
    N_("供应商名称不能为空"),
    # backend/services/verification.py
    N_("this email domain is not allowed; use an address from a permitted domain"),
    N_("email aliases (addresses with '+' or '.') are not allowed"),
    N_("the reset link is invalid or has expired"),
    # backend/services/waffo.py
    N_("invalid Waffo signature"),
    N_("this payment method is not supported"),
    N_("Waffo payment is not enabled by the administrator"),
    N_("the notification names no order"),
    # backend/services/wechat_login.py
    N_("WeChat login is not enabled by the administrator"),
    N_("the verification code is missing or invalid"),
    N_("could not reach the WeChat server, please try again"),
})
