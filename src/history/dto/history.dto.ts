import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, MaxLength, MinLength } from 'class-validator';
import { mustBe, required } from '../../common/validation/validation-messages';
import { FileRecord, MessageRecord } from '../history-records';

export class MessageCreateDto {
  @ApiProperty({ minLength: 1, maxLength: 255 })
  @IsDefined(required('the message subject, a string of 1 to 255 characters'))
  @IsString(mustBe('a string of 1 to 255 characters'))
  @MinLength(1, { message: 'subject must not be empty: send 1 to 255 characters.' })
  @MaxLength(255, { message: 'subject is too long: send at most 255 characters.' })
  subject!: string;

  @ApiProperty({ maxLength: 65535, description: 'The message text (may be empty)' })
  @IsDefined(required('the message text, a string of at most 65535 characters (it may be empty)'))
  @IsString(mustBe('a string of at most 65535 characters'))
  @MaxLength(65535, { message: 'body is too long: send at most 65535 characters.' })
  body!: string;
}

export type MessageResponseDto = { id: number; userId: string; subject: string; createdAt: string };

export type FileResponseDto = { id: number; userId: string; name: string; sizeBytes: number; sha256: string; createdAt: string };

export type HistoryResponseDto = {
  userId: string;
  messages: { count: number };
  files: { count: number; bytes: number };
};

export function toMessageResponse(message: MessageRecord): MessageResponseDto {
  return { id: message.id, userId: message.userId, subject: message.subject, createdAt: message.createdAt.toISOString() };
}

export function toFileResponse(file: FileRecord): FileResponseDto {
  return {
    id: file.id,
    userId: file.userId,
    name: file.name,
    sizeBytes: Number(file.sizeBytes),
    sha256: file.sha256,
    createdAt: file.createdAt.toISOString(),
  };
}
