"""The one HTML sanitiser of articles (nh3, the Python binding of the Rust `ammonia` crate).

An allow-list, not a deny-list: editorial tags only; links http(s)/mailto with rel="noopener
noreferrer nofollow"; images http(s) or site-relative; no style, class, id or event handler
attributes; script/style/iframe/object elements are removed with their content.
"""

import html

import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "del", "mark",
    "sub", "sup", "small", "blockquote", "q", "cite", "code", "pre", "ul", "ol", "li",
    "dl", "dt", "dd", "a", "img", "figure", "figcaption", "table", "caption", "thead",
    "tbody", "tr", "th", "td", "span", "div",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
REMOVED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template"}


def html_sanitize(html: str) -> str:
    """Safe HTML for an article body: what is left after the allow-list (may be "")."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def html_to_text(html_text: str) -> str:
    """Plain text of HTML (for summaries; templates escape it again): no tags at all."""
    text = nh3.clean(html_text or "", tags=set(), clean_content_tags=REMOVED_WITH_CONTENT)
    return " ".join(html.unescape(text).split())
