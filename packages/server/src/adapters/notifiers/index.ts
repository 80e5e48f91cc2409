/** Outgoing notifications: the outbox dispatcher and the signature helpers receivers and tests use. */
export {
  createDispatcher,
  backoffDelay,
  type Dispatcher,
  type DispatcherLogger,
  type DispatcherOptions,
} from './dispatcher.js';
export type { FetchLike, SendResult } from './http.js';
export {
  SIGNATURE_TOLERANCE_S,
  signWebhook,
  slackSignature,
  verifySlackSignature,
  verifyWebhookSignature,
  type SignatureCheck,
} from './signature.js';
export { SLACK_ACTIONS } from './slack-blocks.js';
export { USER_AGENT } from './webhook.js';
