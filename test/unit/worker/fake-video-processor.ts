import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EditedVideo, VideoProcessor } from '#core/ports';

export type EditInput = Parameters<VideoProcessor['edit']>[0];

/**
 * A VideoProcessor that writes two small files into the attempt's work dir, or runs `behaviour`
 * instead (throw to fail, mutate fakes to simulate a concurrent delete), recording every call.
 */
export class FakeVideoProcessor implements VideoProcessor {
  readonly calls: EditInput[] = [];
  behaviour: (input: EditInput) => Promise<void> = () => Promise.resolve();

  async edit(input: EditInput): Promise<EditedVideo> {
    this.calls.push(input);
    await this.behaviour(input);
    const videoPath = join(input.workDir, 'video.mp4');
    const thumbnailPath = join(input.workDir, 'thumbnail.jpg');
    await writeFile(videoPath, 'video');
    await writeFile(thumbnailPath, 'jpeg');
    return { videoPath, thumbnailPath, durationSeconds: 20, width: 1280, height: 720, sizeBytes: 5 };
  }
}
