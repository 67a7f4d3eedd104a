export { sampleEvent } from './sample-event.js';
