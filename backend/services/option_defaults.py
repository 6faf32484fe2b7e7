"""new-api's options and their defaults. Every value is a string, as stored in `options.value`."""

from __future__ import annotations

import orjson

_EMAIL_DOMAINS = "gmail.com,163.com,126.com,qq.com,outlook.com,hotmail.com,icloud.com,yahoo.com,foxmail.com"

AUTOMATIC_DISABLE_KEYWORDS = "\n".join([
    "Your credit balance is too low",
    "This organization has been disabled.",
    "You exceeded your current quota",
    "Permission denied",
    "The security token included in the request is invalid",
    "Operation not allowed",
    "Your account is not authorized",
])

DEFAULTS: dict[str, str] = {
    # Auth
    "PasswordLoginEnabled": "true",
    "PasswordRegisterEnabled": "true",
    "RegisterEnabled": "true",
    "EmailVerificationEnabled": "false",
    "GitHubOAuthEnabled": "false",
    "LinuxDOOAuthEnabled": "false",
    "TelegramOAuthEnabled": "false",
    "WeChatAuthEnabled": "false",
    "TurnstileCheckEnabled": "false",
    "EmailDomainRestrictionEnabled": "false",
    "EmailAliasRestrictionEnabled": "false",
    "EmailDomainWhitelist": _EMAIL_DOMAINS,
    "oidc.enabled": "false",
    "discord.enabled": "false",
    "LinuxDOMinimumTrustLevel": "0",
    # Credentials (secrets never leave the server)
    "GitHubClientId": "",
    "GitHubClientSecret": "",
    "LinuxDOClientId": "",
    "LinuxDOClientSecret": "",
    "TelegramBotToken": "",
    "TelegramBotName": "",
    "TelegramWebhookSecret": "",
    "discord.client_id": "",
    "discord.client_secret": "",
    "WeChatServerAddress": "",
    "WeChatServerToken": "",
    "WeChatAccountQRCodeImageURL": "",
    "TurnstileSiteKey": "",
    "TurnstileSecretKey": "",
    "SMTPServer": "",
    "SMTPPort": "587",
    "SMTPAccount": "",
    "SMTPFrom": "",
    "SMTPToken": "",
    "SMTPSSLEnabled": "false",
    "oidc.client_id": "",
    "oidc.client_secret": "",
    "oidc.well_known": "",
    "oidc.authorization_endpoint": "",
    "oidc.token_endpoint": "",
    "oidc.user_info_endpoint": "",
    # Site
    "SystemName": "New API",
    "Logo": "",
    "Footer": "",
    "Notice": "",
    "About": "",
    "HomePageContent": "",
    "ServerAddress": "http://localhost:3000",
    "TopUpLink": "",
    "general_setting.docs_link": "",
    "general_setting.quota_display_type": "USD",
    "general_setting.custom_currency_symbol": "¤",
    "general_setting.custom_currency_exchange_rate": "1",
    "USDExchangeRate": "7.3",
    "Chats": orjson.dumps([{"ChatGPT Next Web": "https://app.nextchat.dev/#/?settings={\"key\":\"{key}\",\"url\":\"{address}\"}"}]).decode(),
    "DefaultCollapseSidebar": "false",
    # Legal pages (new-api's `legal.*`; empty: the register page shows no link)
    "legal.user_agreement": "",
    "legal.privacy_policy": "",
    # Console panels (new-api's `console_setting.*`; the lists are JSON arrays saved as strings)
    "console_setting.api_info": "",
    "console_setting.announcements": "",
    "console_setting.faq": "",
    "console_setting.uptime_kuma_groups": "",
    "console_setting.api_info_enabled": "true",
    "console_setting.announcements_enabled": "true",
    "console_setting.faq_enabled": "true",
    "console_setting.uptime_kuma_enabled": "true",
    # Quota
    "QuotaPerUnit": "500000",
    "DisplayInCurrencyEnabled": "true",
    "DisplayTokenStatEnabled": "true",
    "QuotaForNewUser": "0",
    "QuotaForInviter": "0",
    "QuotaForInvitee": "0",
    "QuotaRemindThreshold": "1000",
    "PreConsumedQuota": "500",
    # Pricing (empty JSON objects mean "the built-in defaults"; see backend/services/ratios.py)
    "ModelRatio": "{}",
    "CompletionRatio": "{}",
    "ModelPrice": "{}",
    "CacheRatio": "{}",
    "CreateCacheRatio": "{}",
    "GroupRatio": '{"default":1,"vip":1,"svip":1}',
    "UserUsableGroups": '{"default":"默认分组","vip":"vip分组"}',
    "TopupGroupRatio": '{"default":1,"vip":1,"svip":1}',
    "GroupGroupRatio": "{}",
    "ExposeRatioEnabled": "false",  # GET /api/ratio_config answers (other new-api instances sync from it)
    # The `auto` token group tries these groups in order (those the user may use), first with a channel wins.
    "AutoGroups": '["default"]',
    "DefaultUseAutoGroup": "false",
    # Payment
    "PayAddress": "",
    "CustomCallbackAddress": "",
    "EpayId": "",
    "EpayKey": "",
    "Price": "7.3",
    "MinTopUp": "1",
    "StripeApiSecret": "",
    "StripeWebhookSecret": "",
    "StripePriceId": "",
    "StripeUnitPrice": "8.0",
    "StripeMinTopUp": "1",
    "StripePromotionCodesEnabled": "false",
    "CreemApiKey": "",
    "CreemWebhookSecret": "",
    "CreemProducts": "[]",
    "CreemTestMode": "false",
    "WaffoEnabled": "false",
    "WaffoSandbox": "false",
    "WaffoApiKey": "",
    "WaffoPrivateKey": "",
    "WaffoPublicCert": "",
    "WaffoSandboxApiKey": "",
    "WaffoSandboxPrivateKey": "",
    "WaffoSandboxPublicCert": "",
    "WaffoMerchantId": "",
    "WaffoNotifyUrl": "",
    "WaffoReturnUrl": "",
    "WaffoCurrency": "USD",
    "WaffoUnitPrice": "1.0",
    "WaffoMinTopUp": "1",
    # [{name, icon, payMethodType, payMethodName}]; empty: Waffo's cashier lets the payer choose.
    "WaffoPayMethods": "[]",
    "PayMethods": orjson.dumps([
        {"name": "支付宝", "color": "rgba(var(--semi-blue-5), 1)", "type": "alipay"},
        {"name": "微信", "color": "rgba(var(--semi-green-5), 1)", "type": "wxpay"},
    ], option=orjson.OPT_NON_STR_KEYS).decode(),
    "payment_setting.amount_options": "[10,20,50,100,200,500]",
    "payment_setting.amount_discount": "{}",
    # Written only by POST /api/option/payment_compliance (services/payment_compliance.py).
    "payment_setting.compliance_confirmed": "false",
    "payment_setting.compliance_terms_version": "",
    "payment_setting.compliance_confirmed_at": "0",
    "payment_setting.compliance_confirmed_by": "0",
    "payment_setting.compliance_confirmed_ip": "",
    # An inviter earns `percent` % of what an invitee pays on their first `times` top-ups (0 = off).
    "invite_rebate_setting.times": "0",
    "invite_rebate_setting.percent": "0",
    # Operations
    "RetryTimes": "0",
    # newapi-py: seconds a channel that just failed (5xx, 429, unreachable) is passed over while its
    # tier has others; it is tried again by itself afterwards. 0 = off (new-api's behaviour).
    "ChannelCooldownSeconds": "0",
    "ChannelDisableThreshold": "5",
    "AutomaticDisableChannelEnabled": "false",
    "AutomaticEnableChannelEnabled": "false",
    "AutomaticDisableKeywords": AUTOMATIC_DISABLE_KEYWORDS,
    "AutomaticDisableStatusCodes": "401",
    "LogConsumeEnabled": "true",
    "ErrorLogEnabled": "false",
    # newapi-py: days of usage/error logs kept by the daily pruning job (services/log_retention.py);
    # 0 keeps them all (new-api's behaviour: only DELETE /api/log/ removes logs).
    "LogRetentionDays": "0",
    "DataExportEnabled": "true",
    "DataExportInterval": "5",
    "DataExportDefaultTime": "hour",
    "SelfUseModeEnabled": "false",
    "DemoSiteEnabled": "false",
    "DrawingEnabled": "true",
    "TaskEnabled": "true",
    "MjNotifyEnabled": "false",
    "MjAccountFilterEnabled": "false",
    "MjModeClearEnabled": "false",
    "MjForwardUrlEnabled": "true",
    "MjActionCheckSuccessEnabled": "true",
    "MaxUserTokens": "1000",
    # Content filter
    "CheckSensitiveEnabled": "false",
    "CheckSensitiveOnPromptEnabled": "false",
    "StopOnSensitiveEnabled": "true",
    "SensitiveWords": "",
    # Rate limit (per user, on the relay)
    "ModelRequestRateLimitEnabled": "false",
    "ModelRequestRateLimitDurationMinutes": "1",
    "ModelRequestRateLimitCount": "0",
    "ModelRequestRateLimitSuccessCount": "1000",
    "ModelRequestRateLimitGroup": "{}",
    # Fetching caller-supplied URLs (SSRF protection; backend/services/ssrf.py). Lists are JSON arrays.
    "fetch_setting.enable_ssrf_protection": "true",
    "fetch_setting.allow_private_ip": "false",
    "fetch_setting.domain_filter_mode": "false",  # true: domain_list is a whitelist, false: a blacklist
    "fetch_setting.ip_filter_mode": "false",  # the same for ip_list
    "fetch_setting.domain_list": "[]",  # example.com, *.example.com
    "fetch_setting.ip_list": "[]",  # IPs or CIDR ranges
    "fetch_setting.allowed_ports": '["80","443","8080","8443"]',  # ports or ranges ("8000-9000"); [] = any
    "fetch_setting.apply_ip_filter_for_domain": "true",
    # Model-specific
    "claude.default_max_tokens": '{"default":8192}',
    "claude.thinking_adapter_enabled": "true",
    "claude.thinking_adapter_budget_tokens_percentage": "0.8",
    "gemini.safety_settings": "{}",
    # new-api ships this off, so `-thinking-128` reached Google unchanged (and was refused): a
    # suffix is the client's explicit request, so the rules apply unless an admin turns them off
    "gemini.thinking_adapter_enabled": "true",
    "global.pass_through_request_enabled": "false",
    # Chat clients served through the Responses API on matching channels + models (new-api's shape;
    # model_patterns are regular expressions). Codex channels and Responses-only models always are.
    "global.chat_completions_to_responses_policy": '{"enabled":false,"all_channels":true}',
    # Passkeys (WebAuthn; new-api's setting/system_setting/passkey.go). Empty rp_id / origins: from
    # ServerAddress. origins: comma-separated. user_verification: required, preferred, discouraged.
    # attachment_preference: "", platform or cross-platform.
    "passkey.enabled": "false",
    "passkey.rp_display_name": "",
    "passkey.rp_id": "",
    "passkey.origins": "",
    "passkey.allow_insecure_origin": "false",
    "passkey.user_verification": "preferred",
    "passkey.attachment_preference": "",
    # Check-in
    "checkin_setting.enabled": "false",
    "checkin_setting.min_quota": "1000",
    "checkin_setting.max_quota": "10000",
}

# Options whose value must be a JSON object or array.
JSON_OPTIONS = {
    "ModelRatio", "CompletionRatio", "ModelPrice", "CacheRatio", "CreateCacheRatio", "GroupRatio", "UserUsableGroups",
    "TopupGroupRatio", "GroupGroupRatio", "Chats", "ModelRequestRateLimitGroup", "claude.default_max_tokens",
    "gemini.safety_settings", "PayMethods", "payment_setting.amount_options", "payment_setting.amount_discount",
    "global.chat_completions_to_responses_policy", "CreemProducts", "WaffoPayMethods",
}
# JSON options whose value is an array rather than an object.
JSON_LIST_OPTIONS = {"Chats", "PayMethods", "payment_setting.amount_options", "CreemProducts", "WaffoPayMethods"}
# Options whose value must be a JSON array of strings.
JSON_ARRAY_OPTIONS = {"fetch_setting.domain_list", "fetch_setting.ip_list", "fetch_setting.allowed_ports",
                      "AutoGroups"}
# Options whose value must be true or false (besides every key ending in Enabled / .enabled).
BOOL_OPTIONS = {
    "fetch_setting.enable_ssrf_protection", "fetch_setting.allow_private_ip", "fetch_setting.domain_filter_mode",
    "fetch_setting.ip_filter_mode", "fetch_setting.apply_ip_filter_for_domain", "passkey.allow_insecure_origin",
    "CreemTestMode", "WaffoSandbox",
}
# Options whose value must be a number.
NUMERIC_OPTIONS = {
    "QuotaPerUnit", "QuotaForNewUser", "QuotaForInviter", "QuotaForInvitee", "QuotaRemindThreshold",
    "PreConsumedQuota", "Price", "MinTopUp", "RetryTimes", "ChannelDisableThreshold", "DataExportInterval",
    "ChannelCooldownSeconds", "LogRetentionDays",
    "ModelRequestRateLimitDurationMinutes", "ModelRequestRateLimitCount", "ModelRequestRateLimitSuccessCount",
    "SMTPPort", "USDExchangeRate", "StripeUnitPrice", "StripeMinTopUp", "MaxUserTokens", "LinuxDOMinimumTrustLevel",
    "checkin_setting.min_quota", "checkin_setting.max_quota", "claude.thinking_adapter_budget_tokens_percentage",
    "general_setting.custom_currency_exchange_rate", "invite_rebate_setting.times", "invite_rebate_setting.percent",
    "WaffoUnitPrice", "WaffoMinTopUp",
}
