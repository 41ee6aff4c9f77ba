// @ts-check
/**
 * Words the meeting shows people, in one place, so that translations
 * (issue #7) replace one module rather than strings spread over the UI.
 */

/** Server error codes (docs/protocol.md) in plain words. */
const SERVER_ERRORS = {
  'bad-message': 'The server did not understand this browser. Reload the page and try again.',
  'unknown-type': 'The server did not understand this browser. Reload the page and try again.',
  'not-joined': 'The server did not understand this browser. Reload the page and try again.',
  'already-joined': 'You are already in this meeting.',
  'unsupported-version': 'This page is older than the server. Reload the page to get the new one.',
  'bad-room': 'This is not a valid meeting link.',
  'bad-name': 'That name cannot be used. Use 1 to 64 characters.',
  'room-full': 'This meeting is full. Try again later.',
  'not-authorized': 'You are not allowed into this meeting. Ask its organiser for a new link.',
  'too-many-tracks': 'You cannot share anything more in this meeting.',
  'rate-limited': 'Too many attempts. Wait a moment and try again.',
  'bad-sdp': 'Your browser and the server could not agree on how to send video.',
  'resume-failed': 'Reconnected as a new participant.',
  'password-required': 'This meeting needs a password.',
  'wrong-password': 'That password is not right.',
  'members-only': 'Only signed-in members may join this meeting. Sign in first.',
  'lobby-denied': 'The moderator did not let you in.',
  'lobby-timeout': 'Nobody let you in. Try again later.',
  'not-allowed': 'Only moderators can do that.',
  'unknown-participant': 'That participant is no longer in the meeting.',
  removed: 'A moderator removed you from the meeting.',
  ended: 'The meeting was ended for everyone.',
  internal: 'Something went wrong on the server. Try again in a moment.',
  'connect-failed': 'Could not reach the meeting server. Check your connection and try again.',
  closed: 'The connection to the meeting was closed.',
};

/**
 * Returns what to tell a person about a server error code.
 * @param {string} code
 * @returns {string}
 */
export function serverErrorText(code) {
  return /** @type {Record<string, string>} */ (SERVER_ERRORS)[code] ??
    'Something went wrong with the meeting connection. Reload the page to try again.';
}

/**
 * Returns what to tell a person when a camera or microphone cannot be
 * used, from the getUserMedia error's name.
 * @param {'audio' | 'video'} kind
 * @param {Error | undefined} err
 * @returns {string}
 */
export function mediaErrorText(kind, err) {
  const device = kind === 'video' ? 'camera' : 'microphone';
  const Device = kind === 'video' ? 'Camera' : 'Microphone';
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return `${Device} blocked. Allow it in the browser's address bar, then reload.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${device} found. You can join without one.`;
    case 'NotReadableError':
    case 'AbortError':
      return `The ${device} is in use by another app, or not working.`;
    case 'NotSupportedError':
      return `This browser cannot use a ${device} here. Use https:// and a current browser.`;
    default:
      return `The ${device} could not be started.`;
  }
}

/** Other words the meeting shows. */
export const TEXT = {
  reconnecting: 'Connection lost, reconnecting…',
  mediaReconnecting: 'Media connection interrupted, reconnecting…',
  leftTitle: 'You left the meeting',
  endedTitle: 'You are no longer in the meeting',
  timeout: 'The connection was lost and could not be restored.',
  joining: 'Joining…',
  join: 'Join now',
  nameRequired: 'Enter your name to join.',
  you: '(you)',
  screenOf: (/** @type {string} */ name) => `${name}'s screen`,
  yourScreen: 'Your screen',
  participants: (/** @type {number} */ n) => (n === 1 ? '1 participant' : `${n} participants`),
  screenFailed: 'Screen sharing did not start.',
  soundBlocked: 'Turn on sound',
  guest: 'Guest',
  chat: 'Chat',
  youInChat: 'You',
  chatUnread: (/** @type {number} */ n) => (n === 1 ? 'Chat (1 unread message)' : `Chat (${n} unread messages)`),
  securityLabel: {
    secure: 'End-to-end encrypted',
    waiting: 'Exchanging keys…',
    warning: 'Check who is here',
  },
  securitySummary: {
    secure: 'Video, audio and chat are encrypted in your browser. The server forwards them but cannot read them.',
    waiting: 'Keys are being exchanged. Video of a participant appears once their keys arrive.',
    warning: 'Someone joined with a different meeting link. They cannot see or hear this meeting, and you cannot see or hear them.',
  },
  differentLinkOf: (/** @type {string} */ name) => `${name} joined with a different meeting link.`,
  differentLink: 'Joined with a different meeting link',
  waitingForKeys: 'Waiting for encryption keys…',
  noKeyTitle: 'This link has no meeting key',
  noKeyText: 'Meetings are end-to-end encrypted with a key that is part of the full meeting link (the part after #). Paste the whole link you were sent.',
  badKey: 'That is not a complete meeting link or key.',
  noE2EE: 'This browser cannot encrypt a meeting end to end, so it cannot join. Use a current version of Chrome, Edge, Firefox or Safari.',
};
