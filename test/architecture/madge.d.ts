// madge ships no types: the part of its API the import checks use.
declare module 'madge' {
  interface MadgeResult {
    /** Each file (relative to the base dir) and the files it imports. */
    obj(): Record<string, string[]>;
    circular(): string[][];
    warnings(): { skipped: string[] };
  }
  interface MadgeConfig {
    baseDir?: string;
    fileExtensions?: string[];
    tsConfig?: string;
    excludeRegExp?: RegExp[];
    detectiveOptions?: Record<string, { skipTypeImports?: boolean }>;
  }
  export default function madge(paths: string[], config?: MadgeConfig): Promise<MadgeResult>;
}
