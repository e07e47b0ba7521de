// A batch job refused before anything was written (bad folders, no model, files in the way): the
// CLI answers it with exit code 2 and the API with 'bad-request'.
import { UsageError } from '../store/storeContext.js';

export class BatchUsageError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'BatchUsageError';
  }
}
