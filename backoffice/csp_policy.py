"""The Content-Security-Policy header (django-csp), read by settings.py.

Sent in development too, so the tests and the browser test run under the policy that
production sends. Everything is served from this origin; what else is allowed, and why:
"""

from csp.constants import NONCE, NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # 'unsafe-eval': unfold ships Alpine.js's standard build, which compiles every
        # x-data / x-on expression with the Function constructor (its CSP build cannot
        # evaluate unfold's expressions). No 'unsafe-inline': no page has an inline script
        # (Swagger UI's start-up script is a file: SpectacularSwaggerSplitView); one that
        # needs one must carry nonce="{{ request.csp_nonce }}".
        "script-src": [SELF, UNSAFE_EVAL, NONCE],
        # 'unsafe-inline': unfold's pages carry style attributes and a <style> block (the
        # theme colours), Swagger UI and htmx add inline styles; a nonce cannot cover a
        # style attribute, and would switch 'unsafe-inline' off if listed here.
        "style-src": [SELF, UNSAFE_INLINE],
        # data: URIs: the SVG icons inside unfold's and Swagger UI's stylesheets, and the
        # site's icon (backoffice.unfold_config.FAVICON).
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        # As X-Frame-Options: DENY (XFrameOptionsMiddleware): no page is framed.
        "frame-ancestors": [NONE],
    },
}
