import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
export type LogFormat = 'text' | 'json';

/**
 * A logger shaped like runc's: `--log FILE --log-format json` writes one
 * {"level","msg","time"} object a line, which containerd and podman read
 * back to show a runtime's error. Without a file, lines go to stderr.
 */
export class Logger {
  constructor(
    private readonly file: string | undefined,
    private readonly format: LogFormat = 'text',
    private readonly debugEnabled = false,
  ) {}

  debug(msg: string): void {
    if (this.debugEnabled) this.write('debug', msg);
  }
  info(msg: string): void {
    this.write('info', msg);
  }
  warn(msg: string): void {
    this.write('warning', msg);
  }
  error(msg: string): void {
    this.write('error', msg);
  }

  /** True when messages go to a file rather than to stderr. */
  get toFile(): boolean {
    return this.file !== undefined;
  }

  private write(level: LogLevel, msg: string): void {
    if (level === 'info' && !this.file) return;
    const time = new Date().toISOString();
    const line =
      this.format === 'json'
        ? JSON.stringify({ level, msg, time }) + '\n'
        : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
    if (this.file) {
      try {
        appendFileSync(this.file, line);
        return;
      } catch {
        // an unwritable log must not hide the message: fall through to stderr
      }
    }
    process.stderr.write(line);
  }
}
