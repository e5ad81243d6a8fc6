// A server's block device mapping as the conductor hands it to agents (the agent never reads the database).
export interface BlockDeviceRecord {
  id: string;
  sourceType: 'volume' | 'image' | 'snapshot' | 'blank';
  /** The image or snapshot the volume is made from. */
  sourceId: string | null;
  /** Null until the volume exists (the agent makes it for sources other than volume). */
  volumeId: string | null;
  attachmentId: string | null;
  bootIndex: number | null;
  volumeSize: number | null;
  deviceName: string;
  deleteOnTermination: boolean;
}
