import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { Message } from '../message.entity';
import { StoredFile } from '../stored-file.entity';

export class MessageCreateDto {
  @ApiProperty({ minLength: 1, maxLength: 255 })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  subject!: string;

  @ApiProperty({ maxLength: 65535 })
  @IsString()
  @MaxLength(65535)
  body!: string;
}

export type MessageResponseDto = { id: number; userId: string; subject: string; createdAt: string };

export type FileResponseDto = { id: number; userId: string; name: string; sizeBytes: number; sha256: string; createdAt: string };

export type HistoryResponseDto = {
  userId: string;
  messages: { count: number };
  files: { count: number; bytes: number };
};

export function toMessageResponse(message: Message): MessageResponseDto {
  return { id: message.id, userId: message.userId, subject: message.subject, createdAt: message.createdAt.toISOString() };
}

export function toFileResponse(file: StoredFile): FileResponseDto {
  return {
    id: file.id,
    userId: file.userId,
    name: file.name,
    sizeBytes: Number(file.sizeBytes),
    sha256: file.sha256,
    createdAt: file.createdAt.toISOString(),
  };
}
