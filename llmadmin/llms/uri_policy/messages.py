"""The refusal sentences, and the exception that carries one."""

from __future__ import annotations


class UriRejected(ValueError):
    """The URI is refused; `message` says what is wrong and how to fix it, `code` which rule."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


EXAMPLE = "https://api.openai.com/v1/chat/completions"
ASK = (
    " If it really is inside your network, an operator can add {host} to"
    " LLMADMIN_URI_ALLOWED_HOSTS."
)
# Every refusal as whole sentences a user can act on, filled in with str.format.
MESSAGES = {
    "empty": f"Enter the model's endpoint URI, e.g. {EXAMPLE}.",
    "too_long": "The URI is {length} characters long, more than the limit of {limit}; shorten it.",
    "backslash": "The URI contains a backslash (\\); use forward slashes (/) only.",
    "control": "The URI contains the invisible control character U+{point:04X}; retype the URI or"
    " delete that character.",
    "whitespace": "The URI contains a space or other whitespace (U+{point:04X}); remove it, and"
    " write a space the path needs as %20.",
    "relative": f"The URI must be absolute and start with https://, e.g. {EXAMPLE}.",
    "no_scheme": "The URI has no scheme; add https:// in front of the host.",
    "scheme": "The scheme {scheme}: is not allowed; only https:// URIs can be registered.",
    "http": "Plain http:// is not allowed because it would send the API key unencrypted; use"
    " https:// (an operator can allow http with LLMADMIN_URI_ALLOW_HTTP).",
    "slashes": "The URI must have // after {scheme}:, as in " + EXAMPLE + ".",
    "userinfo": "The URI contains user information (a name or password before @ in the host);"
    " remove it and put the key in the key field.",
    "query_secret": "The URI carries a credential in its query string ({name}=…); remove it and put"
    " the key in the authentication fields, where it stays write-only. A URI is stored and shown"
    " in clear.",
    "fragment": "The URI contains a fragment (the part after #), which is never sent to a server;"
    " remove it.",
    "no_host": f"The URI has no host; write it as https://<host>/<path>, e.g. {EXAMPLE}.",
    "brackets": "The host part {authority} is malformed; write a host name, or an IPv6 address in"
    " brackets as in https://[2606:4700::1]:8443/, then an optional :port.",
    "port": "The port {port!r} is not a port number; use a number from 1 to 65535, or remove the"
    " colon to use the default.",
    "zone_id": "The IPv6 address {raw} has a zone id ({zone}), which names a network interface of"
    " the local machine; remove it.",
    "percent": "The host {raw} contains percent-encoding (%); type the host name plainly.",
    "ipv6": "The host [{raw}] is not a valid IPv6 address; check it, or use the host name.",
    "host_long": "The host is longer than 253 characters, which no host name can be; check it.",
    "label_long": "The host {raw} has a part longer than 63 characters, which no host name can"
    " have; check it.",
    "host_chars": "The host {raw} contains characters that are not allowed in a host name; use"
    " letters, digits, hyphens and dots only.",
    "empty_label": "The host {raw} has an empty part between dots; remove the extra dot.",
    "ipv4": "The host {raw} ends in a number but is not a valid IPv4 address; write an address as"
    " four numbers like 8.8.8.8, or use a host name.",
    "idna": "The host {raw} is not a valid host name ({error}); type the provider's host name"
    " exactly, in plain letters, digits and hyphens.",
    "metadata_name": "The host {host} is a cloud metadata service name; such names are refused to"
    " prevent server-side request forgery. Use the model server's public host name.",
    "localhost": "The host {host} means this machine (loopback), which Vectara can't reach; such"
    " names are refused to prevent server-side request forgery. Use the server's public host name.",
    "local_name": "The host {host} is a local network name (.{suffix}) that only works inside one"
    " network; such names are refused to prevent server-side request forgery. Use the model"
    " server's public host name." + ASK,
    "dotless": "The host {host} has no dot, so it is not a public domain name; use the server's"
    " full domain name, such as llm.example.com." + ASK,
    "address": "{subject} {reason}; such addresses are refused to prevent server-side request"
    " forgery. Use the model server's public address.",
    "bad_dns": "The host {host} resolves to {text!r}, which is not an IP address; ask an operator"
    " to check the dashboard's DNS.",
}


def reject(code: str, **values: object) -> UriRejected:
    return UriRejected(MESSAGES[code].format(**values), code)
