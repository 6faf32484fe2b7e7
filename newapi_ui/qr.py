"""QR codes as `data:` URIs (SVG, so no imaging library is needed): the 2FA setup shows the
otpauth:// URI this way, and nothing leaves the server to draw it."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg


def svg_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = io.BytesIO()
    image.save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()
