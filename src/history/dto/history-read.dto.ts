import { ApiProperty } from '@nestjs/swagger';
import { CursorPage } from '../history-reader';
import { FileRecord, MessageWithBody } from '../history-records';

export class MessageItemDto {
  @ApiProperty() id!: number;
  @ApiProperty() subject!: string;
  @ApiProperty() body!: string;
  @ApiProperty() createdAt!: string;
}

export class FileItemDto {
  @ApiProperty() id!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Size of the content (decrypted)' }) sizeBytes!: number;
  @ApiProperty({ description: 'Lowercase hex SHA-256 of the content, as signed at upload' }) sha256!: string;
  @ApiProperty() createdAt!: string;
}

const NEXT_CURSOR = {
  nullable: true,
  type: String,
  description: 'Pass as cursor for the next (older) page; null on the last page',
};

export class MessagePageDto {
  @ApiProperty({ type: [MessageItemDto], description: 'Newest first' }) items!: MessageItemDto[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}

export class FilePageDto {
  @ApiProperty({ type: [FileItemDto], description: 'Newest first' }) items!: FileItemDto[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}

export function toMessagePage(page: CursorPage<MessageWithBody>): MessagePageDto {
  return {
    items: page.items.map((message) => ({
      id: message.id,
      subject: message.subject,
      body: message.body,
      createdAt: message.createdAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}

export function toFilePage(page: CursorPage<FileRecord>): FilePageDto {
  return {
    items: page.items.map((file) => ({
      id: file.id,
      name: file.name,
      sizeBytes: file.sizeBytes,
      sha256: file.sha256,
      createdAt: file.createdAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}
