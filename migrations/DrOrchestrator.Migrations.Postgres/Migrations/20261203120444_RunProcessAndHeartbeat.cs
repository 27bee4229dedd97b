using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DrOrchestrator.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class RunProcessAndHeartbeat : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "HeartbeatAt",
                table: "Runs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Host",
                table: "Runs",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ProcessId",
                table: "Runs",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ProcessStartedAt",
                table: "Runs",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "HeartbeatAt",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Host",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "ProcessId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "ProcessStartedAt",
                table: "Runs");
        }
    }
}
