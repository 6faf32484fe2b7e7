"""`/api/user/topup/info`: which payment methods are on, their minimums, presets and discounts."""

from __future__ import annotations

from typing import Any

from backend.services import creem, epay, options, payment_pricing, stripe_pay, waffo


def info() -> dict[str, Any]:
    methods = epay.pay_methods() if epay.enabled() else []
    stripe_on = stripe_pay.enabled()
    if stripe_on and not any(m.get("type") == "stripe" for m in methods):
        methods = [*methods, {"name": "Stripe", "type": "stripe", "color": "#635BFF",
                              "min_topup": str(options.get_int("StripeMinTopUp", 1))}]
    amounts = options.get_json("payment_setting.amount_options")
    discounts = options.get_json("payment_setting.amount_discount")
    return {
        "enable_online_topup": epay.enabled(),
        "enable_stripe_topup": stripe_on,
        "enable_creem_topup": creem.enabled(),
        "enable_waffo_topup": waffo.enabled(),
        "waffo_pay_methods": [{"name": m.name, "pay_method_type": m.pay_method_type} for m in waffo.pay_methods()]
        if waffo.enabled() else [],
        "waffo_min_topup": payment_pricing.min_topup("WaffoMinTopUp"),
        "waffo_currency": waffo.currency(),
        "waffo_unit_price": str(payment_pricing.dec("WaffoUnitPrice", "1")),
        "creem_products": creem.product_views() if creem.enabled() else [],
        "enable_redemption": True,
        "pay_methods": methods,
        "min_topup": payment_pricing.min_topup(),
        "stripe_min_topup": payment_pricing.min_topup("StripeMinTopUp"),
        "amount_options": [a for a in amounts if isinstance(a, int) and not isinstance(a, bool)]
        if isinstance(amounts, list) else [],
        "discount": discounts if isinstance(discounts, dict) else {},
        "topup_link": options.get("TopUpLink"),
        "price": str(payment_pricing.dec("Price", "7.3")),
        "stripe_unit_price": str(payment_pricing.dec("StripeUnitPrice", "8")),
    }
