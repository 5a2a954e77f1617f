import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
export type LogFormat = 'text' | 'json';

/**
 * A logger shaped like runc's: `--log FILE --log-format json` writes one
 * {"level","msg","time"} object a line, which containerd and podman read
 * back to show a runtime's error. Without a file, warnings and errors go to
 * stderr as plain sentences for a person to read.
 */
export class Logger {
  constructor(
    private readonly file: string | undefined,
    private readonly format: LogFormat = 'text',
    private readonly debugEnabled = false,
    private readonly program = 'berth-runtime',
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
    if (!this.file) {
      if (level === 'error') process.stderr.write(`${this.program}: ${msg}\n`);
      else if (level !== 'info') process.stderr.write(`${this.program}: ${level}: ${msg}\n`);
      return;
    }
    const time = new Date().toISOString();
    const line =
      this.format === 'json'
        ? JSON.stringify({ level, msg, time }) + '\n'
        : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
    try {
      appendFileSync(this.file, line);
    } catch {
      // an unwritable log must not hide the message
      process.stderr.write(line);
    }
  }
}
