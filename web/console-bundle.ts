/**
 * The shape of the built console (web/build.ts writes it into console-bundle.generated.ts). Kept
 * apart from the build script so the runtime (functions/api/console.ts) never imports build code.
 */
export interface ConsoleAsset {
  contentType: string;
  body: string;
  /** Strong validator for If-None-Match, derived from the body. */
  etag: string;
}

export interface ConsoleBundle {
  /** The page served at `/`; it names the assets by content hash, so they can be cached forever. */
  html: ConsoleAsset;
  /** Served at `/assets/{file}`. */
  assets: Record<string, ConsoleAsset>;
}
