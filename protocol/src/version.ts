/** Version of the wire contract; bumped on any incompatible change to events or payloads. */
export const PROTOCOL_VERSION = 1;
