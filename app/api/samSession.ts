// The interactive SAM predictor behind the annotator's prompts: one model, the embedding of the
// image being annotated, masks for point/box prompts. Lives in the serve/main process.
import type { ApiEvent, ImageRecord, LabelMask, SamPoint, SamStatus } from './apiTypes.js';
import { ApiError } from './apiErrors.js';

export class SamSession {
  constructor(
    private readonly home: string,
    private readonly emit: (e: ApiEvent) => void,
  ) {}

  status(): SamStatus {
    return { available: false, model: null, reason: `no SAM predictor in this build (model library: ${this.home})` };
  }

  async setImage(image: ImageRecord, file: string): Promise<{ ms: number }> {
    void image;
    void file;
    this.emit({ type: 'sam.loading', done: true, message: 'unavailable' });
    throw new ApiError('unavailable', this.status().reason ?? 'SAM unavailable');
  }

  async predict(image: ImageRecord, file: string, points: SamPoint[], box: [number, number, number, number] | null): Promise<{ mask: LabelMask; score: number }> {
    void image;
    void file;
    void points;
    void box;
    throw new ApiError('unavailable', this.status().reason ?? 'SAM unavailable');
  }

  clearImage(): void {}

  dispose(): void {}
}
