export { pushMsgKey } from './push-queue.js';
export type { PushQueueProducer, PushQueueConsumer, PushDelivery, PushHandler } from './push-queue.js';
