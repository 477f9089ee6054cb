// Worker-thread entry: receives batch jobs, answers with the decoded batch (buffer transferred, not copied).
import { parentPort, workerData } from 'node:worker_threads';
import { processBatch, type BatchJob, type PipelineConfig } from './pipeline.js';

const config = workerData as PipelineConfig;
const port = parentPort;
if (!port) throw new Error('worker.js must be started as a worker thread');
port.on('message', (job: BatchJob) => {
  const result = processBatch(config, job);
  port.postMessage(result, [result.x.buffer as ArrayBuffer]);
});
