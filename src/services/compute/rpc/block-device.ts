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
  /** 'local': a blank disk the driver makes on the host (no volume); volume otherwise. */
  destinationType?: 'volume' | 'local';
  /** A local disk's swap or file system (volumeSize is MiB for swap, GiB otherwise, as Nova's). */
  guestFormat?: string | null;
  /** The volume type of a volume the agent makes (2.67; null: Block Storage's default). */
  volumeType?: string | null;
}
