// The text/event-stream format (HTML Living Standard, "Server-sent events", §9.2.6 interpreting an event
// stream), parsed incrementally from decoded text chunks: lines end in CRLF, LF or CR; a blank line
// dispatches the event; `:` starts a comment; a field without a colon has an empty value; one leading
// space after the colon is dropped; data lines join with LF; `retry` is taken only when all digits.

export interface ServerSentEvent {
  /** "message" when the event named none. */
  event: string;
  data: string;
  /** The last `id` field seen so far in the stream (it carries over to later events), if any. */
  id?: string;
  /** A `retry` field in this event's block, in milliseconds. */
  retry?: number;
}

export interface EventStreamParser {
  push(text: string): void;
}

/** Calls `onEvent` for every complete event block; a block with no data but a `retry` is still reported. */
export function parseEventStream(onEvent: (e: ServerSentEvent) => void): EventStreamParser {
  let pending = '';
  let skipLf = false;
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  let retry: number | undefined;
  let sawField = false;

  const dispatch = (): void => {
    if (sawField && (data.length > 0 || retry !== undefined)) {
      onEvent({ event: event || 'message', data: data.join('\n'), ...(id !== undefined ? { id } : {}), ...(retry !== undefined ? { retry } : {}) });
    }
    event = '';
    data = [];
    retry = undefined;
    sawField = false;
  };

  const line = (l: string): void => {
    if (l === '') return dispatch();
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon === -1 ? l : l.slice(0, colon);
    let value = colon === -1 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    sawField = true;
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') {
      if (!value.includes('\0')) id = value;
    } else if (field === 'retry') {
      if (/^\d+$/.test(value)) retry = Number(value);
    }
  };

  return {
    push(text) {
      let from = 0;
      if (skipLf && text.startsWith('\n')) from = 1;
      skipLf = false;
      for (let i = from; i < text.length; i++) {
        const c = text[i];
        if (c !== '\n' && c !== '\r') continue;
        line(pending + text.slice(from, i));
        pending = '';
        if (c === '\r') {
          if (i + 1 === text.length) skipLf = true;
          else if (text[i + 1] === '\n') i++;
        }
        from = i + 1;
      }
      pending += text.slice(from);
    },
  };
}
