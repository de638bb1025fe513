// HTTP/1.1 syntax shared by what parses, serves and sends messages (RFC 9110 §5.6.2, §5.5).

/** A token: a method, or a header or trailer name. */
export const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A header value node:http will put on the wire (it throws on anything else): tab, visible ASCII, space and
 * Latin-1 (obs-text). Captured values are kept as the tap sent them, so one may hold what this refuses.
 */
export const SENDABLE_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
